"""How old a memory is, and the note a recalled memory carries once it is not fresh.

Age is counted in whole local calendar days: 0 for a memory written today, 1 for
yesterday. A frontmatter ``updated:`` date wins over the file's mtime, because a git
checkout or a copy resets mtimes while the date in the file travels with it.
"""

from __future__ import annotations

from datetime import date, datetime

from .memoryfile import parse_updated

#: Memories this many days old or younger get no note (the design's "age > 1 day").
FRESH_DAYS = 1


def age_days(mtime: float, updated: object = None, *, today: date | None = None) -> int:
    """Whole days since the memory was last changed: 0 today, 1 yesterday, never negative.

    `updated` (a date, datetime or ISO string from the frontmatter) wins over `mtime`
    when it parses. A date in the future counts as today.
    """
    today = today or date.today()
    written = parse_updated(updated)
    if written is None:
        try:
            written = datetime.fromtimestamp(mtime).date()
        except (OverflowError, OSError, ValueError):
            return 0
    return max(0, (today - written).days)


def freshness_note(age: int) -> str:
    """The caution attached to a recalled memory of `age` days; empty while it is fresh."""
    if age <= FRESH_DAYS:
        return ""
    return (
        f"This memory is {age} days old. It records what was true then; check any claim "
        "it makes about code (files, functions, flags) against the project before stating "
        "it as fact."
    )
