"""Relative-date detection and resolution, with fixed written dates."""

from __future__ import annotations

from datetime import date

import pytest

from memdir.lint.dates import find_relative_dates

MONDAY = date(2026, 3, 2)  # a Monday
SATURDAY = date(2026, 12, 26)


def only(text: str, written: date = MONDAY):
    found = find_relative_dates(text, written=written)
    assert len(found) == 1, found
    return found[0]


@pytest.mark.parametrize(
    ("text", "phrase", "meant"),
    [
        ("the demo is on Thursday", "Thursday", "2026-03-05"),
        ("ship by next Thursday", "next Thursday", "2026-03-05"),
        ("review next week", "next week", "the week of 2026-03-09"),
        ("cut the branch tomorrow", "tomorrow", "2026-03-03"),
        ("the audit starts in two days", "in two days", "2026-03-04"),
        ("moved in 3 days", "in 3 days", "2026-03-05"),
        ("due in two weeks' time", "in two weeks' time", "2026-03-16"),
        ("deploy failed yesterday", "yesterday", "2026-03-01"),
        ("it broke last Friday", "last Friday", "2026-02-27"),
        ("budget review this month", "this month", "March 2026"),
        ("migrate next month", "next month", "April 2026"),
        ("hiring freeze last year", "last year", "2025"),
        ("plan for next quarter", "next quarter", "Q2 2026"),
        ("on call this weekend", "this weekend", "the weekend of 2026-03-07"),
        ("this Wednesday at noon", "this Wednesday", "2026-03-04"),
        ("the day after tomorrow we freeze", "the day after tomorrow", "2026-03-04"),
        ("the outage was three days ago", "three days ago", "2026-02-27"),
        ("by the end of the month", "the end of the month", "2026-03-31"),
        ("by end of next week", "end of next week", "2026-03-13"),
        ("the week after next", "the week after next", "the week of 2026-03-16"),
        ("flaky since Tuesday", "since Tuesday", "2026-02-24"),
        ("in a couple of days", "in a couple of days", "2026-03-04"),
        ("today's deploy is paused", "today", "2026-03-02"),
        ("this coming Friday", "this coming Friday", "2026-03-06"),
    ],
)
def test_resolves_against_the_written_date(text: str, phrase: str, meant: str) -> None:
    found = only(text)
    assert (found.text, found.meant) == (phrase, meant)


def test_past_tense_sentence_reads_a_bare_weekday_backwards() -> None:
    assert only("The rollout failed on Friday.").start == date(2026, 2, 27)
    assert only("The rollout is on Friday.").start == date(2026, 3, 6)


def test_same_weekday_means_a_week_later_or_earlier() -> None:
    assert only("next Monday").start == date(2026, 3, 9)
    assert only("last Monday").start == date(2026, 2, 23)


def test_crosses_year_and_month_ends() -> None:
    assert only("next month", SATURDAY).meant == "January 2027"
    assert only("tomorrow", SATURDAY).meant == "2026-12-27"
    assert only("next week", SATURDAY).meant == "the week of 2026-12-28"
    assert only("in two months", date(2026, 12, 31)).meant == "February 2027"


def test_week_span_runs_monday_to_sunday() -> None:
    found = only("next week")
    assert (found.start, found.end) == (date(2026, 3, 9), date(2026, 3, 15))


@pytest.mark.parametrize(
    "text",
    [
        "standup every Monday at 09:00",
        "releases go out on Tuesdays",
        "the freeze starts Thursday 2026-03-05",
        "cut-over on 2026-03-05 (Thursday)",
        "Friday, 6 March is the deadline",
        "support hours are Monday to Friday",
        "the Black Friday sale doubles traffic",
        "run it for the previous month once rates are out",
        "the flag is `next-week` in config",
        "see `tomorrow()` in the scheduler",
        "a weekly report and a monthly invoice run",
        "decided on 2026-03-05 to postpone",
    ],
)
def test_leaves_absolute_and_recurring_phrases_alone(text: str) -> None:
    assert find_relative_dates(text, written=MONDAY) == []


def test_ignores_fenced_code_and_keeps_line_numbers() -> None:
    text = "first line\n```\nrun tomorrow\n```\nship next week\n"
    found = find_relative_dates(text, written=MONDAY)
    assert [(f.text, f.line) for f in found] == [("next week", 5)]


def test_several_phrases_in_order() -> None:
    found = find_relative_dates("Tomorrow we test; next Friday we ship.", written=MONDAY)
    assert [f.text for f in found] == ["Tomorrow", "next Friday"]
    assert [f.meant for f in found] == ["2026-03-03", "2026-03-06"]
