"""Memory age in days and the note attached to memories that are no longer fresh."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from memdir.store.freshness import age_days, freshness_note, parse_updated

TODAY = date(2026, 3, 20)


def local_timestamp(day: date, hour: int = 12) -> float:
    """A POSIX timestamp for `hour` o'clock local time on `day`."""
    return datetime(day.year, day.month, day.day, hour).timestamp()


@pytest.mark.parametrize(("days_back", "expected"), [(0, 0), (1, 1), (2, 2), (47, 47)])
def test_age_from_mtime_counts_calendar_days(days_back: int, expected: int) -> None:
    mtime = local_timestamp(TODAY - timedelta(days=days_back))
    assert age_days(mtime, None, today=TODAY) == expected


def test_age_counts_local_calendar_days_not_24_hour_spans() -> None:
    # 23:30 yesterday is "yesterday" even though less than a day has passed by morning.
    late_yesterday = datetime(2026, 3, 19, 23, 30).timestamp()
    assert age_days(late_yesterday, None, today=TODAY) == 1
    early_today = datetime(2026, 3, 20, 0, 5).timestamp()
    assert age_days(early_today, None, today=TODAY) == 0


@pytest.mark.parametrize(
    "updated",
    [
        date(2026, 2, 1),
        datetime(2026, 2, 1, 9, 30),
        "2026-02-01",
        " 2026-02-01 ",
        "2026-02-01T09:30:00",
        "2026-02-01 (reviewed with the team)",
    ],
)
def test_updated_wins_over_mtime(updated: object) -> None:
    mtime = local_timestamp(TODAY)  # a fresh checkout reset the mtime
    assert age_days(mtime, updated, today=TODAY) == 47


def test_future_dates_count_as_today() -> None:
    assert age_days(local_timestamp(TODAY), date(2026, 4, 1), today=TODAY) == 0
    assert age_days(local_timestamp(TODAY + timedelta(days=3)), None, today=TODAY) == 0


def test_unreadable_updated_falls_back_to_mtime() -> None:
    mtime = local_timestamp(TODAY - timedelta(days=5))
    for junk in ("last week", "", 20260301, True, None, ["2026-03-01"]):
        assert age_days(mtime, junk, today=TODAY) == 5


def test_parse_updated_normalises() -> None:
    assert parse_updated(date(2026, 3, 5)) == date(2026, 3, 5)
    assert parse_updated(datetime(2026, 3, 5, 23, 59)) == date(2026, 3, 5)
    assert parse_updated("2026-03-05") == date(2026, 3, 5)
    assert parse_updated("not a date") is None
    assert parse_updated(None) is None
    assert parse_updated(False) is None  # PyYAML turns "no" into False


def test_aware_timestamps_count_as_the_date_written_in_their_own_timezone() -> None:
    # 23:30 in Alaska on March 5th is March 6th in UTC and in Europe; the writer meant
    # the 5th, and every command (list, recall, lint) must say the same on every machine.
    moment = datetime(2026, 3, 5, 23, 30, tzinfo=timezone(timedelta(hours=-9)))
    assert parse_updated(moment) == date(2026, 3, 5)
    assert parse_updated("2026-03-05T23:30:00-09:00") == date(2026, 3, 5)
    assert parse_updated("2026-03-05T00:30:00+14:00") == date(2026, 3, 5)
    assert parse_updated("2026-03-05T12:00:00Z") == date(2026, 3, 5)


def test_one_updated_parser_for_scan_store_and_lint(tmp_path: Path) -> None:
    from memdir.lint.check import lint
    from memdir.store.folder import MemoryDir

    folder = tmp_path / "mem"
    folder.mkdir()
    (folder / "a.md").write_text(
        "---\nname: A\ndescription: alaska note\ntype: user\n"
        "updated: 2026-03-05T23:30:00-09:00\n---\nbody\n"
    )
    store = MemoryDir(folder)
    store.sync_index()
    (header,) = store.scan().memories
    assert header.updated == date(2026, 3, 5)
    assert store.get("A").updated == date(2026, 3, 5)
    # lint reads the same date: "in the future" on the 4th, fine on the 5th.
    assert [p.rule for p in lint(store, today=date(2026, 3, 4)).problems] == ["updated-invalid"]
    assert lint(store, today=date(2026, 3, 5)).problems == ()


def test_today_defaults_to_the_real_date() -> None:
    import time

    assert age_days(time.time(), None) == 0
    assert age_days(time.time() - 3 * 86400 - 3600, None) in (3, 4)


def test_no_note_while_fresh() -> None:
    assert freshness_note(0) == ""
    assert freshness_note(1) == ""


def test_note_states_the_age_in_days_and_asks_for_a_check() -> None:
    note = freshness_note(47)
    assert "47 days old" in note
    assert "check" in note
    assert freshness_note(2).startswith("This memory is 2 days old.")
