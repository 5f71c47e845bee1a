"""`memdir.history.reading`: the log, one operation, versions, diffs, names and dates."""

from __future__ import annotations

import marshal
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from memdir.errors import HistoryError, OperationNotFoundError
from memdir.history import History, parse_when
from memdir.history.records import Actor
from memdir.history.repo import Repo
from memdir.history.snapshot import blob_id

from .helpers import PLANTED


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    path = tmp_path / "memory"
    path.mkdir()
    return path


class Clock:
    """Record times a minute apart, from 2026-03-05 10:00 UTC."""

    def __init__(self) -> None:
        self.now = datetime(2026, 3, 5, 10, 0, tzinfo=UTC).timestamp()

    def time(self) -> float:
        self.now += 60
        return self.now


@pytest.fixture
def history(folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> History:
    from memdir.history import history as history_mod

    monkeypatch.setattr(history_mod, "time", Clock())
    return History.for_folder(folder, state_dir=tmp_path / "state", env={})


def put(history: History, files: dict[str, str | None], actor: str = "cli") -> str:
    """Write (or, for None, delete) files by hand and record them; the new operation's id."""
    for name, text in files.items():
        path = history.folder / name
        if text is None:
            path.unlink()
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    op = history.record(Actor.parse(actor))
    assert op is not None
    return op.id


def test_log_of_an_empty_or_missing_history(history: History) -> None:
    assert history.log() == []
    assert not history.path.exists()  # reading never creates it
    with pytest.raises(OperationNotFoundError) as caught:
        history.get()
    assert str(caught.value) == f"{history.folder}: the history is empty"
    assert history.size_on_disk() == 0


def test_reading_a_history_that_is_off_says_why(folder: Path, tmp_path: Path) -> None:
    off = History.for_folder(folder, state_dir=tmp_path / "state", env={"MEMDIR_HISTORY": " Off "})
    assert not off.enabled
    assert repr(off) == f"History({str(folder)!r}, enabled=False)"
    with pytest.raises(HistoryError) as caught:
        off.log()
    assert caught.value.path == folder
    assert str(caught.value) == f"{folder}: history is off: turned off by MEMDIR_HISTORY=off"
    assert off.skipped() == {}
    for value in ("0", "false", "no", "disabled", "OFF"):
        assert not History.for_folder(
            folder, state_dir=tmp_path, env={"MEMDIR_HISTORY": value}
        ).enabled
    for value in ("", "on", "1"):
        assert History.for_folder(folder, state_dir=tmp_path, env={"MEMDIR_HISTORY": value}).enabled


def test_the_history_lives_in_the_state_folder_under_the_folder_key(
    folder: Path, tmp_path: Path
) -> None:
    from memdir.paths import folder_key

    history = History.for_folder(folder, state_dir=tmp_path / "state", env={})
    key = folder_key(folder)
    assert history.path == tmp_path / "state" / "history" / f"{key}.git"
    assert history.lock_path == tmp_path / "state" / "locks" / f"{key}.history.lock"
    assert repr(history) == f"History({str(folder)!r}, enabled=True)"
    # Without a state folder given, MEMDIR_STATE_DIR of the given environment decides.
    env = {"MEMDIR_STATE_DIR": str(tmp_path / "elsewhere")}
    assert History.for_folder(folder, env=env).path.parent == tmp_path / "elsewhere" / "history"


def test_log_filters_by_actor_limit_and_time(history: History) -> None:
    a = put(history, {"a.md": "a"}, "cli")
    b = put(history, {"b.md": "b"}, "extractor:s-1")
    c = put(history, {"c.md": "c"}, "cli")
    assert [op.id for op in history.log()] == [c, b, a]
    assert [op.id for op in history.log(actor="cli")] == [c, a]
    assert [op.id for op in history.log(actor="extractor")] == [b]
    assert [op.id for op in history.log(actor="extractor:s-1")] == [b]
    assert history.log(actor="extractor:other") == []
    assert [op.id for op in history.log(limit=1)] == [c]
    assert [op.id for op in history.log(limit=2, actor="cli")] == [c, a]
    assert history.get(b).time == datetime(2026, 3, 5, 10, 2, tzinfo=UTC)
    when = history.get(b).time
    assert [op.id for op in history.log(since=when)] == [c, b]
    assert [op.id for op in history.log(since=when - timedelta(seconds=1))] == [c, b]
    assert [op.id for op in history.log(since=when + timedelta(seconds=1))] == [c]


def test_log_by_name_follows_renames_back(history: History) -> None:
    first = put(history, {"alpha.md": "x"})
    put(history, {"other.md": "o"})
    moved = put(history, {"alpha.md": None, "beta.md": "x"})
    edited = put(history, {"beta.md": "y"})
    assert [op.id for op in history.log(name="beta")] == [edited, moved, first]
    assert [op.id for op in history.log(name="beta", limit=2)] == [edited, moved]


def test_get_by_prefix_and_its_refusals(history: History) -> None:
    a = put(history, {"a.md": "a"})
    b = put(history, {"b.md": "b"})
    assert history.get().id == b
    assert history.get(a[:4]).id == a
    assert history.get(f" {a[:8].upper()} ").id == a
    with pytest.raises(OperationNotFoundError) as short:
        history.get(a[:3])
    assert (
        str(short.value)
        == f"field 'op': {a[:3]!r} is not an operation id (`memory log` lists them)"
    )
    with pytest.raises(OperationNotFoundError):
        history.get("zzzz1234")
    with pytest.raises(OperationNotFoundError) as missing:
        history.get("0000000")
    assert str(missing.value) == "field 'op': no operation '0000000' in this history"


def test_at_takes_an_id_or_a_moment(history: History) -> None:
    a = put(history, {"a.md": "a"})
    when = history.get(a).time
    assert history.at(a[:8]).id == a
    assert history.at(when).id == a
    assert history.at(when.isoformat()).id == a
    with pytest.raises(OperationNotFoundError) as caught:
        history.at(when - timedelta(seconds=1))
    earlier = (when - timedelta(seconds=1)).isoformat()
    assert str(caught.value) == f"{history.folder}: field 'at': nothing was recorded by {earlier}"


def test_files_content_and_parents(history: History) -> None:
    a = put(history, {"a.md": "one"})
    b = put(history, {"a.md": "two", "sub/b.md": "b"})
    info = history.at(b)
    assert history.files_at(info) == {"a.md": blob_id(b"two"), "sub/b.md": blob_id(b"b")}
    assert history.files_at(None) == {}
    parent = history.parent_of(info)
    assert parent is not None and parent.id == a
    assert history.parent_of(parent) is None
    assert history.content(blob_id(b"one")) == b"one"


def test_change_gives_both_sides_of_every_file(history: History) -> None:
    put(history, {"a.md": "one", "gone.md": "g", "moved.md": "m"})
    put(history, {"a.md": "two", "gone.md": None, "moved.md": None, "there.md": "m", "new.md": "n"})
    op, change, contents = history.change()
    assert change.renamed == (("moved.md", "there.md"),)
    assert contents == {
        "old:a.md": b"one",
        "new:a.md": b"two",
        "old:gone.md": b"g",
        "new:new.md": b"n",
        "old:moved.md": b"m",
        "new:there.md": b"m",
    }
    assert op.files == change.files


def test_diff_of_an_operation(history: History) -> None:
    put(history, {"a.md": "one\n", "gone.md": "g\n", "moved.md": "m\n"})
    put(
        history,
        {"a.md": "two", "gone.md": None, "moved.md": None, "there.md": "m\n", "new.md": "n\n"},
    )
    assert history.diff() == (
        "--- a/a.md\n+++ b/a.md\n@@ -1 +1 @@\n-one\n+two\n"
        "--- a/gone.md\n+++ /dev/null\n@@ -1 +0,0 @@\n-g\n"
        "rename moved.md -> there.md\n"
        "--- /dev/null\n+++ b/new.md\n@@ -0,0 +1 @@\n+n\n"
    )


def test_diff_of_a_rename_with_an_edit(history: History) -> None:
    put(history, {"a.md": "one\n", "b.md": "keep\n"})
    first = history.get().id
    put(history, {"a.md": "two\n"})
    assert history.diff(first) == (
        "--- /dev/null\n+++ b/a.md\n@@ -0,0 +1 @@\n+one\n"
        "--- /dev/null\n+++ b/b.md\n@@ -0,0 +1 @@\n+keep\n"
    )


def test_skipped_names_files_with_credentials(history: History, folder: Path) -> None:
    assert history.skipped() == {}
    (folder / "leak.md").write_text(f"key {PLANTED}\n")
    assert list(history.skipped()) == ["leak.md"]  # before any record: no repository yet
    assert not history.path.exists()
    put(history, {"a.md": "a"})
    assert list(history.skipped()) == ["leak.md"]
    gone = History.for_folder(folder / "gone", state_dir=history.path.parent.parent, env={})
    assert gone.skipped() == {}


def test_all_paths_newest_mention_first(history: History) -> None:
    put(history, {"a.md": "a", "b.md": "b"})
    put(history, {"c.md": "c"})
    put(history, {"a.md": "a2"})
    assert history.all_paths() == ["a.md", "c.md", "b.md"]


def test_resolve_path_by_name_stem_or_case(history: History) -> None:
    put(history, {"Alpha.md": "a", "sub/beta.md": "b", "MEMORY.md": "index", "two.md": "x"})
    put(history, {"sub/two.md": "y", "x/gamma.md": "g", "y/gamma.md": "h"})
    assert history.resolve_path("Alpha.md") == "Alpha.md"
    assert history.resolve_path("Alpha") == "Alpha.md"
    assert history.resolve_path("alpha") == "Alpha.md"
    assert history.resolve_path("beta") == "sub/beta.md"
    assert history.resolve_path(" sub/beta ") == "sub/beta.md"
    assert history.resolve_path("sub/two.md") == "sub/two.md"  # an exact path wins
    assert history.resolve_path("two") == "two.md"  # a file name before a stem
    assert history.resolve_path("", "beta") == "sub/beta.md"  # blank names are passed over
    with pytest.raises(OperationNotFoundError) as several:
        history.resolve_path("gamma")
    assert str(several.value) == (
        "field 'name': 'gamma' matches several files in the history (x/gamma.md, y/gamma.md); "
        "give the file name"
    )
    with pytest.raises(OperationNotFoundError) as index:
        history.resolve_path("MEMORY")
    assert (
        str(index.value)
        == f"{history.folder}: field 'name': the history has no memory named 'MEMORY'"
    )


def test_the_newest_tree_is_cached_and_a_stale_cache_is_not_used(history: History) -> None:
    a = put(history, {"a.md": "a"})
    cache = history.path / "memdir-tree"
    assert marshal.loads(cache.read_bytes()) == (a, {"a.md": blob_id(b"a")})
    cache.write_bytes(marshal.dumps((a, {"cached.md": "x"})))
    assert history._head_files(a) == {"cached.md": "x"}
    cache.write_bytes(marshal.dumps(("0" * 40, {"cached.md": "x"})))
    assert history._head_files(a) == {"a.md": blob_id(b"a")}
    assert marshal.loads(cache.read_bytes()) == (a, {"a.md": blob_id(b"a")})
    cache.write_bytes(marshal.dumps((a, ["not", "a", "dict"])))
    assert history._head_files(a) == {"a.md": blob_id(b"a")}
    cache.write_bytes(b"junk")
    assert history._head_files(a) == {"a.md": blob_id(b"a")}
    assert history._head_files("") == {}


def test_size_on_disk_is_the_repositorys(history: History) -> None:
    put(history, {"a.md": "a"})
    assert history.size_on_disk() == Repo(history.path, history.folder).size_on_disk() > 0


@pytest.mark.parametrize(
    ("text", "wanted"),
    [
        ("2026-03-05T10:00:00+00:00", datetime(2026, 3, 5, 10, 0, tzinfo=UTC)),
        ("2026-03-05T10:00:00+02:00", datetime(2026, 3, 5, 8, 0, tzinfo=UTC)),
        (" 2026-03-05T10:00:00Z ", datetime(2026, 3, 5, 10, 0, tzinfo=UTC)),
    ],
)
def test_parse_when_reads_iso_times(text: str, wanted: datetime) -> None:
    assert parse_when(text) == wanted


def test_a_bare_date_is_the_end_or_the_start_of_that_local_day() -> None:
    end = parse_when("2026-03-05")
    start = parse_when("2026-03-05", end_of_day=False)
    assert end is not None and start is not None
    assert end.tzinfo is UTC and start.tzinfo is UTC
    local_end = datetime(2026, 3, 5, 23, 59, 59).astimezone().astimezone(UTC)
    local_start = datetime(2026, 3, 5).astimezone().astimezone(UTC)
    assert (end, start) == (local_end, local_start)
    # A local time without a zone, longer than a date: not moved to the day's end.
    assert parse_when("2026-03-05T10:00") == datetime(2026, 3, 5, 10, 0).astimezone().astimezone(
        UTC
    )


@pytest.mark.parametrize("text", ["abcd", "ABCDEF12", "deadbeef", "20260305", "yesterday", ""])
def test_ids_and_words_are_not_dates(text: str) -> None:
    assert parse_when(text) is None


def test_short_hex_like_dates_still_parse() -> None:
    assert parse_when("2026") is None  # four hex digits: an operation id first
    assert parse_when("202") is None  # not a date either


def test_a_missing_truncated_or_odd_tree_cache_is_rebuilt(history: History) -> None:
    a = put(history, {"a.md": "a"})
    cache = history.path / "memdir-tree"
    wanted = {"a.md": blob_id(b"a")}
    for damage in (None, b"", marshal.dumps(5), marshal.dumps((a,))):
        if damage is None:
            cache.unlink()
        else:
            cache.write_bytes(damage)
        assert history._head_files(a) == wanted, damage
        assert marshal.loads(cache.read_bytes()) == (a, wanted)


def test_a_tree_cache_that_cannot_be_written_is_skipped(
    history: History, monkeypatch: pytest.MonkeyPatch
) -> None:
    from memdir.errors import StoreIOError
    from memdir.history import reading

    a = put(history, {"a.md": "a"})
    (history.path / "memdir-tree").unlink()

    def refuse(path: Path, *args: object, **kwargs: object) -> None:
        raise StoreIOError("read-only", path=path)

    monkeypatch.setattr(reading, "atomic_write", refuse)
    assert history._head_files(a) == {"a.md": blob_id(b"a")}


def test_a_basic_format_date_time_parses() -> None:
    assert parse_when("20260305T100000Z") == datetime(2026, 3, 5, 10, 0, tzinfo=UTC)
