"""What the extractor may learn from new messages, and whether it should run at all.

`render_for_extraction` turns messages into the extraction prompt's evidence. Only user and
assistant text is evidence: tool results are untrusted (a file the agent read may carry
planted instructions), so their content is replaced by a placeholder naming the tool.

`wrote_to_memory` is the mutual-exclusion check: when the agent itself wrote to the memory
folder in these messages, the extractor skips them.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

from .transcript import Message, TextBlock, ToolResultBlock, ToolUseBlock

# --- rendering -----------------------------------------------------------------------------

# Claude Code's own injections inside user text. System reminders carry context the hooks or
# the CLI added (recalled memories, git status, background-task notices); the command tags
# wrap slash commands and their local output; the bash tags hold `!` shell mode's command
# and its output. None of it is something the user said.
_INJECTED_TAGS = (
    "system-reminder|command-name|command-message|command-args|local-command-stdout"
    "|local-command-stderr|local-command-caveat|bash-input|bash-stdout|bash-stderr"
    "|user-prompt-submit-hook|task-notification"
)
_TAG = re.compile(rf"<\s*(/?)\s*({_INJECTED_TAGS})\b[^>]*>", re.IGNORECASE)
_SUMMARY_LIMIT = 80
_PATH_KEYS = ("file_path", "notebook_path", "path")
_ARGUMENT_KEYS = ("command", "pattern", "url", "query", "skill", "description")


def _strip_injected(text: str) -> str:
    """`text` without injected blocks, counting nesting per tag.

    Trigger: a recalled memory holding a literal ``<system-reminder>...</system-reminder>``
    inside the real reminder. Why: a lazy match would end at the inner closing tag and
    hand the rest of the reminder to the extractor as the user's words. Outcome: a block
    ends at the closing tag that balances its opening one; an unclosed block runs to the
    end, and a stray closing tag is dropped.
    """
    out: list[str] = []
    depth: dict[str, int] = {}
    last = 0
    for match in _TAG.finditer(text):
        inside = any(depth.values())
        if not inside:
            out.append(text[last : match.start()])
        name = match.group(2).lower()
        if match.group(1):
            depth[name] = max(0, depth.get(name, 0) - 1)
        else:
            depth[name] = depth.get(name, 0) + 1
        last = match.end()
    if not any(depth.values()):
        out.append(text[last:])
    return "".join(out)


def _clean_user_text(text: str) -> str:
    if text.lstrip().lower().startswith("<task-notification>"):
        return ""  # a background task reporting back: tool output, not the user
    return _strip_injected(text).strip()


def _short(value: str) -> str:
    # One line with no brackets, so an input cannot close the placeholder and pose as text.
    flat = " ".join(value.split()).replace("[", "(").replace("]", ")")
    return flat if len(flat) <= _SUMMARY_LIMIT else flat[: _SUMMARY_LIMIT - 1] + "…"


def _describe_tool_use(block: ToolUseBlock) -> str:
    params = block.input
    name = _short(block.name) or "a tool"
    if block.name == "memory" and isinstance(params.get("command"), str):
        name = f"memory {_short(params['command'])}"
    for key in _PATH_KEYS:
        if isinstance(params.get(key), str) and params[key]:
            return f"[assistant used {name} on {_short(params[key])}]"
    for key in _ARGUMENT_KEYS:
        if isinstance(params.get(key), str) and params[key]:
            return f"[assistant used {name}: {_short(params[key])}]"
    return f"[assistant used {name}]"


def render_for_extraction(messages: Sequence[Message]) -> str:
    """The extraction prompt's evidence: user and assistant text only.

    Tool calls become one short line (``[assistant used Read on src/x.py]``) and tool results
    a placeholder (``[result of Read omitted]``): a result's content never appears. Claude
    Code's injected text (system reminders, task notifications, slash-command echoes) is
    dropped from user messages, and thinking blocks from assistant messages.
    """
    tool_names = {b.id: b.name for m in messages for b in m.tool_uses}
    entries: list[str] = []
    for message in messages:
        lines: list[str] = []
        for block in message.blocks:
            if isinstance(block, TextBlock):
                text = _clean_user_text(block.text) if message.role == "user" else block.text
                if text.strip():
                    lines.append(f"{message.role}: {text.strip()}")
            elif isinstance(block, ToolUseBlock):
                lines.append(_describe_tool_use(block))
            elif isinstance(block, ToolResultBlock):
                name = _short(tool_names.get(block.tool_use_id, "")) or "a tool"
                failed = " (it failed)" if block.is_error else ""
                lines.append(f"[result of {name} omitted{failed}]")
            elif block.type in ("image", "document"):
                lines.append(f"[{block.type} omitted]")
        if lines:
            entries.append("\n".join(lines))
    return "\n\n".join(entries)


# --- mutual exclusion ----------------------------------------------------------------------

_FILE_WRITE_TOOLS = frozenset({"Write", "Edit", "MultiEdit", "NotebookEdit"})
_MEMORY_WRITE_COMMANDS = frozenset({"create", "str_replace", "insert", "delete", "rename"})
_MCP_WRITE_ACTIONS = frozenset({"remember", "forget"})
# Best effort: shell verbs and redirections that change files. `2>` and `>&` are left out
# because they redirect diagnostics, which writes nothing into a folder named elsewhere.
_SHELL_WRITE = re.compile(
    r"(?:^|[\s;&|(`])(?:rm|mv|cp|tee|touch|mkdir|rmdir|ln|install|rsync|truncate|dd|unlink)\b"
    r"|(?<![0-9&>])>(?!&)"
    r"|\bsed\s+(?:-\w+\s+)*-i"
    r"|\bgit\s+(?:mv|rm|checkout|restore)\b"
)


def _is_inside(candidate: str, root: str, base: str) -> bool:
    full = os.path.realpath(os.path.join(base, os.path.expanduser(candidate)))
    try:
        return os.path.commonpath([full, root]) == root
    except ValueError:  # different drives on Windows
        return False


def _path_spellings(memory_dir: Path, root: str) -> list[str]:
    spellings = {str(memory_dir).rstrip("/\\"), root}
    home = os.path.expanduser("~")
    for spelled in list(spellings):
        if spelled.startswith(home + os.sep):
            spellings.add("~" + spelled[len(home) :])
    return [s for s in spellings if s]


def _shell_writes_into(command: str, spellings: Iterable[str]) -> bool:
    # The folder's name must end at a path boundary, so `<memdir>-other/x.md` is not it.
    mentions = any(re.search(re.escape(s) + r"(?=$|[/\\\s'\"`;|&)<>])", command) for s in spellings)
    return mentions and _SHELL_WRITE.search(command) is not None


def wrote_to_memory(
    messages: Sequence[Message], memory_dir: Path | str, *, cwd: Path | str | None = None
) -> bool:
    """True if an assistant tool call in `messages` wrote inside `memory_dir`.

    Counted: Write/Edit/MultiEdit/NotebookEdit on a path inside the folder (relative paths
    resolve against `cwd`, default the process's; symlinks are resolved); the memory tool
    (``memory``) with a writing command; an MCP tool named ``mcp__<server>__remember`` or
    ``...__forget``; and, best effort, a Bash command that names the folder together with a
    writing verb or a redirection (a command that only reads there may count too; a write
    through a relative path or a variable is missed). Calls whose result is an error did not
    write and are ignored.
    """
    base = os.path.abspath(cwd) if cwd is not None else os.getcwd()
    folder = Path(os.path.expanduser(memory_dir))
    root = os.path.realpath(os.path.join(base, folder))
    failed = {
        b.tool_use_id
        for m in messages
        for b in m.blocks
        if isinstance(b, ToolResultBlock) and b.is_error
    }
    spellings = _path_spellings(folder if folder.is_absolute() else Path(base, folder), root)
    for message in messages:
        if message.role != "assistant":
            continue
        for call in message.tool_uses:
            if call.id and call.id in failed:
                continue
            params = call.input
            if call.name in _FILE_WRITE_TOOLS:
                targets = [params.get(k) for k in _PATH_KEYS]
                if any(isinstance(t, str) and t and _is_inside(t, root, base) for t in targets):
                    return True
            elif call.name == "memory":
                if params.get("command") in _MEMORY_WRITE_COMMANDS:
                    return True
            elif call.name.startswith("mcp__"):
                if call.name.rsplit("__", 1)[-1] in _MCP_WRITE_ACTIONS:
                    return True
            elif call.name == "Bash":
                command = params.get("command")
                if isinstance(command, str) and _shell_writes_into(command, spellings):
                    return True
    return False
