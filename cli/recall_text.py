"""`memory recall` for a person, and its command line read without click.

Kept apart from `commands_recall` (which needs click for its decorators): `main` answers
the plain ``memory [--dir D] recall QUERY [options]`` line with it, skipping click's
import, as it does for the Claude Code hook. Both render the recall's JSON form (the
`RecallResult.to_json` dict) as it comes, from the daemon or from recall here.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from .output import age_label

# Not `from typing import ...`: typing costs every recall's start-up a few milliseconds.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

_FLAGS = frozenset({"--offline", "--explain", "--no-verify", "--json", "--no-daemon"})
_VALUED = frozenset({"--session", "--tools", "--project", "--limit"})
#: The largest `--limit` the click command accepts.
MAX_LIMIT = 50


def render_human(result: Mapping[str, Any], *, explain: bool) -> str:
    """The recall result (a `RecallResult.to_json` dict) for a person: selector, then each
    memory with its notes."""
    lines = []
    how = "the model" if result["selector"] == "llm" else "the offline selector"
    head = f"Selected by {how}"
    if result["fallback_reason"]:
        # The reason may hold brackets of its own: a colon keeps them from nesting.
        head += f": {result['fallback_reason']}"
    lines.append(head + ".")
    if result["skipped"]:
        lines.append(f"Nothing recalled: {result['skipped']}.")
    elif not result["memories"]:
        lines.append("No memory clearly helps with this query.")
    for m in result["memories"]:
        kind = m["type"] or "untyped"
        weak = "  (weaker match)" if m["low_confidence"] else ""
        where = m["path"]
        lines += ["", f"== {m['name']}  [{kind}]  {age_label(m['age_days'])}  {where}{weak}"]
        if explain and m["why"]:
            lines.append(f"   why: {m['why']}")
        if m["freshness"]:
            lines.append(f"   ! {m['freshness']}")
        if m["references"]:
            from memdir.verify import note_texts

            # The same wording the agent sees in the recall block; problems flagged.
            for text, problem in note_texts(m["references"]):
                lines.append(f"   {'! ' if problem else '  '}{text}")
        lines.append("")
        lines += ["   " + line if line else "" for line in m["content"].splitlines()]
        if m["truncated"]:
            lines.append(f"   [cut; the whole memory is in {where}]")
    return "\n".join(lines)


def parse_plain_recall(args: Sequence[str]) -> dict[str, object] | None:
    """The options of a plain ``[--dir D] recall QUERY [options]`` line, else None.

    None for anything else (help, another command, an unknown or repeated option, a
    value click would refuse): click then handles the line and says what is wrong.
    """
    rest = list(args)
    found: dict[str, object] = {}
    if rest[:1] == ["--dir"] and len(rest) >= 2:
        found["--dir"] = rest[1]
        rest = rest[2:]
    if rest[:1] != ["recall"]:
        return None
    rest = rest[1:]
    query: str | None = None
    while rest:
        arg = rest.pop(0)
        if arg in _FLAGS and arg not in found:
            found[arg] = True
        elif arg in _VALUED and arg not in found and rest and not rest[0].startswith("-"):
            found[arg] = rest.pop(0)
        elif not arg.startswith("-") and query is None:
            query = arg
        else:
            return None
    if query is None or ("--project" in found and "--no-verify" in found):
        return None
    limit = found.get("--limit")
    if limit is not None:
        if not str(limit).isdigit() or not 1 <= int(str(limit)) <= MAX_LIMIT:
            return None
        found["--limit"] = int(str(limit))
    found["query"] = query
    return found


def run_plain_recall(options: dict[str, object]) -> int:
    """Run a parsed plain recall line: print what `memory recall` prints; the exit code."""
    from memdir.daemon import recall_json
    from memdir.errors import MemdirError
    from memdir.paths import resolve_memory_dir, state_dir, verification_root

    explicit = options.get("--dir") or os.environ.get("MEMDIR_DIR") or None
    project = options.get("--project")
    tools = str(options.get("--tools") or "")
    limit = options.get("--limit")
    try:
        folder = resolve_memory_dir(Path(str(explicit)) if explicit else None)
        result = recall_json(
            Path(os.path.abspath(folder.expanduser())),
            str(options["query"]),
            state_dir=state_dir(),
            session_id=str(options["--session"]) if "--session" in options else None,
            tools=[t.strip() for t in tools.split(",") if t.strip()],
            offline=bool(options.get("--offline")),
            project_root=verification_root(
                project=Path(str(project)) if project else None,
                verify=not options.get("--no-verify"),
            ),
            limit=limit if isinstance(limit, int) else None,
            use_daemon=not options.get("--no-daemon"),
        )
    except MemdirError as exc:
        sys.stderr.write(f"Error: {exc}\n")
        return exc.exit_code
    if options.get("--json"):
        text = json.dumps(result, indent=2, ensure_ascii=False, default=str)
    else:
        text = render_human(result, explain=bool(options.get("--explain")))
    sys.stdout.write(text + "\n")
    return 0
