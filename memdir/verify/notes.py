"""The verification note of a recalled memory, from the references' JSON form.

Kept apart from `references` (its patterns and records cost start-up time) so that a
recall answered by the daemon, which arrives as JSON, is rendered without them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

#: Found names listed by name before the rest are counted.
SHOWN_FOUND = 6


def note_texts(refs: Iterable[Mapping[str, Any]]) -> list[tuple[str, bool]]:
    """What was checked, as (line, is a problem): problems one per line, found ones
    summed up in a last line. `refs` are `Reference.to_json` dicts."""
    lines = []
    found = []
    for ref in refs:
        if ref["status"] == "missing":
            lines.append((f"names `{ref['text']}`: not found in the project", True))
        elif ref["status"] == "moved":
            lines.append((f"names `{ref['text']}`: possibly moved to `{ref['hint']}`", True))
        elif ref["status"] == "found":
            found.append(f"`{ref['text']}`")
    if found:
        shown = ", ".join(found[:SHOWN_FOUND])
        if len(found) > SHOWN_FOUND:
            shown += f" and {len(found) - SHOWN_FOUND} more"
        lines.append((f"names {shown}: found", False))
    return lines
