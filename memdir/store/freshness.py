"""How old a memory is, and the note a recalled memory carries once it is not fresh.

Age is counted in whole local calendar days: 0 for a memory written today, 1 for
yesterday. A frontmatter ``updated:`` date wins over the file's mtime, because a git
checkout or a copy resets mtimes while the date in the file travels with it.
"""

from __future__ import annotations

from datetime import date, datetime

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


def parse_updated(value: object) -> date | None:
    """The calendar date an ``updated:`` value names, or None when absent or unreadable.

    The one reader of ``updated:``. PyYAML hands back a `date` for ``2026-03-05``, a
    `datetime` for a full timestamp, and text for anything else (quoted values, impossible
    dates, ``2026-03-05 (reviewed)``). A timestamp counts as the date written in its own
    timezone: ``2026-03-05T23:30:00-09:00`` is March 5th, the day its writer meant, on
    every machine (converting it to local time would make it the 6th in Europe).
    """
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not text:
        return None
    try:
        return datetime.fromisoformat(text).date()
    except ValueError:
        pass
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        return None


def freshness_note(age: int) -> str:
    """The caution attached to a recalled memory of `age` days; empty while it is fresh."""
    if age <= FRESH_DAYS:
        return ""
    return (
        f"This memory is {age} days old. It records what was true then; check any claim "
        "it makes about code (files, functions, flags) against the project before stating "
        "it as fact."
    )
