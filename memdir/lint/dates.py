"""Relative dates in memory text ("next Thursday", "in two days") and what they most likely meant.

A memory outlives the week it was written in: "the demo is on Thursday" is useless, or
wrong, a month later. Lint finds such phrases and resolves each against the day the memory
was written, so the message can say which absolute date to write instead.

English is ambiguous here; these are the readings chosen:

- Weeks run Monday to Sunday. "next week" is the week starting the Monday after the
  written date, "this week" the week holding it.
- A bare weekday, "next <weekday>" and "coming <weekday>" mean the first such day *after*
  the written date ("next Thursday" written on Monday 2026-03-02 is 2026-03-05). In a
  sentence told in the past tense ("the rollout failed on Friday"), and after "last",
  "past" or "since", it is the latest such day *before* it.
- "the previous month", "the following week" are anchored on some other event ("run it
  for the previous month"), not on the day of writing: left alone.
- "this <weekday>" is that day in the written date's week.
- Recurring phrases ("every Monday", "on Mondays", "Monday to Friday") and a weekday
  written next to an absolute date ("Thursday 2026-03-05") are not relative: left alone.
- Inline code and fenced code blocks are ignored.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

__all__ = ["RelativeDate", "find_relative_dates"]


@dataclass(frozen=True, slots=True)
class RelativeDate:
    """One relative date phrase and the span of days it most likely meant.

    `text` is the phrase as written (whitespace collapsed), `line` its 1-based line,
    `start`/`end` the first and last day meant (equal for a single day), and `meant`
    the readable absolute form: ``2026-03-05``, ``the week of 2026-03-09``, ``April 2026``.
    """

    text: str
    line: int
    start: date
    end: date
    meant: str


_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_NUMBERS = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "a couple of": 2,
    "couple of": 2,
}
_WEEKDAY = "(?P<weekday>" + "|".join(_WEEKDAYS) + ")"
_NUM = (
    r"(?P<n>\d{1,3}|a\s+couple\s+of|couple\s+of|an?|one|two|three|four|five|six|seven|eight"
    r"|nine|ten|eleven|twelve)"
)
_UNIT = r"(?P<unit>day|week|fortnight|month|year)s?"
_MONTHS = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
# An absolute date right after a weekday ("Thursday 2026-03-05", "Friday, 6 March").
_DATE_AFTER = re.compile(
    rf"^[\s,(]{{0,3}}(?:the\s+)?(?:\d{{4}}-\d\d-\d\d|\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTHS}"
    rf"|{_MONTHS}\s+\d{{1,2}}\b)",
    re.IGNORECASE,
)
_DATE_BEFORE = re.compile(r"\d{4}-\d\d-\d\d\s*[,(]?\s*$")
_RECURRING_BEFORE = re.compile(r"\b(?:every|each|other|alternate|most)\s+$", re.IGNORECASE)
# Named days that are not a day of next week: Black Friday, Cyber Monday, Easter Sunday...
_HOLIDAY_BEFORE = re.compile(r"\b(?:black|cyber|good|easter|ash|super|whit)\s+$", re.IGNORECASE)
_RANGE = "(?:-|–|—|to|through|till|until)"
_RANGE_AFTER = re.compile(rf"^\s*{_RANGE}\s*(?:{'|'.join(_WEEKDAYS)})\b", re.IGNORECASE)
_RANGE_BEFORE = re.compile(rf"\b(?:{'|'.join(_WEEKDAYS)})\s*{_RANGE}\s*$", re.IGNORECASE)
_PAST_TENSE = re.compile(
    r"\b(?:was|were|did|had|happened|went|came|broke|failed|ago)\b", re.IGNORECASE
)
_CODE_FENCE = re.compile(r"^(\s*)(```|~~~).*?^\s*\2[^\n]*$", re.MULTILINE | re.DOTALL)
_INLINE_CODE = re.compile(r"`[^`\n]+`")


def _number(text: str) -> int:
    key = " ".join(text.lower().split())
    return int(key) if key.isdigit() else _NUMBERS[key]


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def _single(day: date) -> tuple[date, date, str]:
    return day, day, day.isoformat()


def _week(monday: date) -> tuple[date, date, str]:
    return monday, monday + timedelta(days=6), f"the week of {monday.isoformat()}"


def _weekend(saturday: date) -> tuple[date, date, str]:
    return saturday, saturday + timedelta(days=1), f"the weekend of {saturday.isoformat()}"


def _month(day: date) -> tuple[date, date, str]:
    first = day.replace(day=1)
    last = first.replace(day=calendar.monthrange(first.year, first.month)[1])
    return first, last, f"{calendar.month_name[first.month]} {first.year}"


def _quarter(day: date) -> tuple[date, date, str]:
    q = (day.month - 1) // 3
    first = date(day.year, q * 3 + 1, 1)
    last = _add_months(first, 3) - timedelta(days=1)
    return first, last, f"Q{q + 1} {first.year}"


def _year(year: int) -> tuple[date, date, str]:
    return date(year, 1, 1), date(year, 12, 31), str(year)


def _shift(written: date, unit: str, n: int) -> tuple[date, date, str]:
    """`n` units after (or, negative, before) the written date."""
    unit = unit.lower()
    if unit == "day":
        return _single(written + timedelta(days=n))
    if unit in ("week", "fortnight"):
        return _single(written + timedelta(days=n * (14 if unit == "fortnight" else 7)))
    if unit == "month":
        return _month(_add_months(written, n))
    return _year(written.year + n)


_Span = tuple[date, date, str]
_Resolver = Callable[[re.Match[str], date, str], _Span | None]


def _fixed(offset: int) -> _Resolver:
    return lambda _m, written, _text: _single(written + timedelta(days=offset))


def _in_n(m: re.Match[str], written: date, _text: str) -> _Span:
    return _shift(written, m.group("unit"), _number(m.group("n")))


def _n_ago(m: re.Match[str], written: date, _text: str) -> _Span:
    return _shift(written, m.group("unit"), -_number(m.group("n")))


def _after_next(m: re.Match[str], written: date, _text: str) -> _Span:
    unit = m.group("unit").lower()
    if unit == "week":
        return _week(_monday(written) + timedelta(days=14))
    return _shift(written, unit, 2)


_STEP = {"next": 1, "coming": 1, "last": -1, "past": -1}


def _named_period(m: re.Match[str], written: date, _text: str) -> _Span | None:
    step = _STEP.get(m.group("which").lower().split()[-1], 0)
    period = m.group("period").lower()
    if period == "week":
        return _week(_monday(written) + timedelta(days=7 * step))
    if period == "weekend":
        return _weekend(_monday(written) + timedelta(days=5 + 7 * step))
    if period == "month":
        return _month(_add_months(written, step))
    if period == "quarter":
        return _quarter(_add_months(written, 3 * step))
    return _year(written.year + step)


def _end_of(m: re.Match[str], written: date, _text: str) -> _Span:
    step = 1 if (m.group("which") or "").lower() == "next" else 0
    period = m.group("period").lower()
    if period == "week":
        # The end of a working week: its Friday.
        return _single(_monday(written) + timedelta(days=4 + 7 * step))
    if period == "month":
        return _single(_month(_add_months(written, step))[1])
    if period == "quarter":
        return _single(_quarter(_add_months(written, 3 * step))[1])
    return _single(date(written.year + step, 12, 31))


def _sentence(text: str, start: int, end: int) -> str:
    left = max(text.rfind(c, 0, start) for c in ".!?\n") + 1
    rights = [i for i in (text.find(c, end) for c in ".!?\n") if i != -1]
    return text[left : min(rights) if rights else len(text)]


def _weekday(m: re.Match[str], written: date, text: str) -> _Span | None:
    start, end = m.span()
    before, after = text[max(0, start - 24) : start], text[end : end + 32]
    if (
        _DATE_AFTER.match(after)
        or _DATE_BEFORE.search(before)
        or _RANGE_AFTER.match(after)
        or _RANGE_BEFORE.search(before)
    ):
        return None
    which = (m.group("which") or "").lower()
    if not which and (_RECURRING_BEFORE.search(before) or _HOLIDAY_BEFORE.search(before)):
        return None
    target = _WEEKDAYS.index(m.group("weekday").lower())
    if which == "this":
        return _single(_monday(written) + timedelta(days=target))
    past = which in ("last", "past", "since") or (
        not which and _PAST_TENSE.search(_sentence(text, start, end)) is not None
    )
    if past:
        return _single(written - timedelta(days=(written.weekday() - target - 1) % 7 + 1))
    return _single(written + timedelta(days=(target - written.weekday() - 1) % 7 + 1))


def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![\w-]){pattern}(?![\w-])", re.IGNORECASE)


# Order matters: the first pattern to claim a span wins ("the day after tomorrow" before
# "tomorrow", "next week" before a bare "week").
_PATTERNS: tuple[tuple[re.Pattern[str], _Resolver], ...] = (
    (_rx(r"(?:the\s+)?day\s+after\s+tomorrow"), _fixed(2)),
    (_rx(r"(?:the\s+)?day\s+before\s+yesterday"), _fixed(-2)),
    (_rx(r"tomorrow"), _fixed(1)),
    (_rx(r"yesterday|last\s+night"), _fixed(-1)),
    (_rx(r"today|tonight|this\s+(?:morning|afternoon|evening)"), _fixed(0)),
    (_rx(rf"in\s+{_NUM}\s+{_UNIT}'?(?:\s+time)?"), _in_n),
    (_rx(rf"{_NUM}\s+{_UNIT}\s+(?:from\s+(?:now|today))"), _in_n),
    (_rx(rf"{_NUM}\s+{_UNIT}\s+ago"), _n_ago),
    (_rx(r"(?:the\s+)?(?P<unit>week|month|year)\s+after\s+next"), _after_next),
    (
        _rx(
            r"(?:the\s+)?end\s+of\s+(?:the\s+|this\s+|(?P<which>next)\s+)?"
            r"(?P<period>week|month|quarter|year)"
        ),
        _end_of,
    ),
    (
        _rx(
            r"(?P<which>this\s+coming|next|last|this|coming|past)"
            r"\s+(?P<period>week|weekend|month|quarter|year)"
        ),
        _named_period,
    ),
    (
        _rx(rf"(?:(?P<which>this\s+coming|next|last|this|coming|past|since)\s+)?{_WEEKDAY}"),
        _weekday,
    ),
)


def _blank(match: re.Match[str]) -> str:
    return re.sub(r"[^\n]", " ", match.group(0))


def find_relative_dates(text: str, *, written: date) -> list[RelativeDate]:
    """Relative date phrases in `text`, in order, each resolved against `written`."""
    # Code is blanked out, not removed, so positions and line numbers stay true.
    plain = _INLINE_CODE.sub(_blank, _CODE_FENCE.sub(_blank, text))
    claimed: list[tuple[int, int]] = []
    found: list[tuple[int, RelativeDate]] = []
    for pattern, resolve in _PATTERNS:
        for match in pattern.finditer(plain):
            start, end = match.span()
            if any(start < c_end and c_start < end for c_start, c_end in claimed):
                continue
            span = resolve(match, written, plain)
            if span is None:
                continue
            claimed.append((start, end))
            first, last, meant = span
            phrase = " ".join(text[start:end].split())
            line = plain.count("\n", 0, start) + 1
            found.append((start, RelativeDate(phrase, line, first, last, meant)))
    return [item for _, item in sorted(found, key=lambda pair: pair[0])]
