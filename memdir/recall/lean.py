"""Recall for a fresh process: the answer as the wire format's dict, at start-up cost.

`recall_json` returns what `Recaller.recall(...).to_json()` returns, the one wire format
(`memdir.recall.result`), but offline it builds no object per memory and imports
neither `dataclasses` nor the store: the persisted index (`indexed`, `termindex`) is
brought up to date with a walk and a stat per file, only the query's postings are read,
and only the returned memories' bodies. The CLI and the hook render from the dict; a
library caller wanting records uses `RecallResult.from_json`.

A model, a damaged index, an in-repository team folder: whatever this path does not
cover goes to the `Recaller`, with the same result.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from .tokenize import is_selectable_query

# `typing` itself costs start-up time: its names are for the type checker only.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["index_file", "recall_json"]

_MAX_SELECTED = 5


def index_file(state_dir: str | Path, memory_dir: str | Path) -> str:
    """Where a memory folder's persisted index lives in the state folder."""
    from ..paths import folder_key

    return os.path.join(state_dir, "cache", f"{folder_key(Path(memory_dir))}.terms.sqlite")


def recall_json(
    memory_dir: str,
    query: str,
    *,
    state_dir: str,
    session_id: str | None = None,
    tools: Sequence[str] = (),
    offline: bool = False,
    project_root: str | None = None,
    limit: int | None = None,
    mark_surfaced: bool = True,
) -> dict[str, Any]:
    """Recall for `query` in this process, as `RecallResult.to_json()` gives it.

    Arguments as `Recaller.recall`; `state_dir` is memdir's state folder, already
    resolved. A missing, damaged or outdated index is rebuilt on the way.

    Raises:
        ValueError: `limit` is below 1.
    """
    if limit is not None and limit < 1:
        raise ValueError(f"limit must be at least 1, not {limit}")
    root = os.path.abspath(os.path.expanduser(memory_dir))
    from ..model.env import model_configured

    if (not offline and model_configured()) or os.path.isdir(os.path.join(root, "team", ".git")):
        return _with_recaller(
            root,
            query,
            state_dir=state_dir,
            session_id=session_id,
            tools=tools,
            offline=offline,
            project_root=project_root,
            limit=limit,
            mark_surfaced=mark_surfaced,
        )
    reason = "offline requested" if offline else "no model configured (set ANTHROPIC_API_KEY)"
    if not is_selectable_query(query):
        return _result(query, reason, [], "query has fewer than two words")
    from .seen import SESSION_BYTE_BUDGET, mark_seen, read_seen

    state = Path(state_dir)
    seen, used = read_seen(state, session_id)
    bytes_left = max(0, SESSION_BYTE_BUDGET - used)
    if session_id and bytes_left <= 0:
        return _result(query, reason, [], "session byte budget used up")
    from .indexed import IndexedSelector

    selector = IndexedSelector(root, index_file=index_file(state, root))
    try:
        selector.refresh()
        wanted = limit if limit is not None else _MAX_SELECTED
        picks = selector.rank(query, limit=wanted, exclude=seen, fill=limit is not None)
    finally:
        selector.close()
    memories = _read(
        picks,
        wanted=wanted,
        bytes_left=bytes_left if session_id else None,
        root=root,
        state=state,
        project_root=project_root,
    )
    if mark_surfaced and session_id:
        mark_seen(
            state, session_id, [(m["path"], len(m["content"].encode("utf-8"))) for m in memories]
        )
    from ..stats import Stats
    from .query_log import append_query

    append_query(state, Path(root), query, [m["filename"] for m in memories])
    Stats(state).tally(recalls=1, recalled_memories=len(memories))
    return _result(query, reason, memories, None)


def _result(
    query: str, reason: str | None, memories: list[dict[str, Any]], skipped: str | None
) -> dict[str, Any]:
    return {
        "selector": "offline",
        "fallback_reason": reason,
        "memories": memories,
        "query": query,
        "skipped": skipped,
    }


def _read(
    picks: Sequence[Any],
    *,
    wanted: int,
    bytes_left: int | None,
    root: str,
    state: Path,
    project_root: str | None,
) -> list[dict[str, Any]]:
    """The picked memories read within their caps, as `RecalledMemory.to_json` has them."""
    from ..store.freshness import age_days, freshness_note
    from .bodies import read_capped

    read = []
    used = 0
    for pick in picks:
        try:
            content, truncated = read_capped(pick[1])
        except OSError:
            continue  # deleted since the walk: nothing to show
        size = len(content.encode("utf-8"))
        if bytes_left is not None and used + size > bytes_left:
            break
        used += size
        read.append((pick, content, truncated))
    references: list[list[dict[str, Any]]] = [[] for _ in read]
    if project_root is not None and read:
        from ..verify import ProjectVerifier

        # The memory folder may sit inside the project: its own files must not count
        # as evidence that what they name still exists.
        verifier = ProjectVerifier(Path(project_root), state_dir=state, exclude=(Path(root),))
        found = verifier.verify_many([content for _, content, _ in read])
        references = [[r.to_json() for r in refs] for refs in found]
    authors: dict[str, str] = {}
    if any(pick[0].startswith("team/") for pick, _, _ in read):
        from ..team.authors import read_authors

        authors = read_authors(Path(root), state)
    out = []
    for (pick, content, truncated), refs in zip(read, references, strict=True):
        filename, path, mtime, size, header, score, _, words, confident = pick
        name, description, raw_type, updated = header
        age = age_days(mtime, updated)
        terms = ", ".join(words)
        if confident:
            why = f"score {score:.2f}; matched: {terms}"
        else:
            why = f"a weaker match, to fill up to {wanted} (score {score:.2f}; matched: {terms})"
        team = filename.startswith("team/")
        kind = raw_type.strip().lower() if isinstance(raw_type, str) else None
        out.append(
            {
                "filename": filename,
                "path": path,
                "source": "team" if team else "private",
                "author": authors.get(filename.removeprefix("team/")) if team else None,
                "type": kind if kind in _TYPES else None,
                "name": name,
                "description": description,
                "age_days": age,
                "freshness": freshness_note(age),
                "content": content,
                "truncated": truncated,
                "references": refs,
                "low_confidence": not confident,
                "why": why,
                "score": score,
                "matched": list(words),
                "raw_type": raw_type,
                "updated": updated,
                "mtime": mtime,
                "size": size,
            }
        )
    return out


#: `MemoryType` values (the enum lives in `memdir.types`, a dataclass module).
_TYPES = frozenset({"user", "feedback", "project", "reference"})


def _with_recaller(root: str, query: str, *, state_dir: str, **options: Any) -> dict[str, Any]:
    """The same answer through the `Recaller`: a model to ask, or an in-repo team folder."""
    from ..store.folder import MemoryDir
    from .recaller import Recaller

    project_root = options.pop("project_root")
    recaller = Recaller(
        MemoryDir(root, state=Path(state_dir)),
        project_root=Path(project_root) if project_root is not None else None,
    )
    return recaller.recall(query, **options).to_json()
