"""`memdir.history.snapshot`: which files a record holds, their blob ids, and the stat cache."""

from __future__ import annotations

import hashlib
import marshal
import os
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from memdir.history import snapshot
from memdir.history.snapshot import MAX_FILE_BYTES, StatCache, blob_id, take, walk

from .helpers import PLANTED


def git_blob_id(data: bytes) -> str:
    return hashlib.sha1(b"blob " + str(len(data)).encode() + b"\0" + data).hexdigest()


def test_blob_ids_are_gits() -> None:
    assert blob_id(b"") == "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391"
    assert blob_id(b"hello\n") == "ce013625030ba8dba906f756967f9e9ca394464a"
    assert blob_id(b"x" * 1000) == git_blob_id(b"x" * 1000)


def test_walk_finds_markdown_files_below_the_folder_and_nothing_else(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("a")
    (tmp_path / "notes.txt").write_text("t")
    (tmp_path / ".hidden.md").write_text("h")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "x.md").write_text("g")
    (tmp_path / "sub" / "deeper").mkdir(parents=True)
    (tmp_path / "sub" / "b.md").write_text("bb")
    (tmp_path / "sub" / "deeper" / "c.md").write_text("ccc")
    (tmp_path / "folder.md").mkdir()  # a folder with a .md name is walked, not recorded
    (tmp_path / "folder.md" / "d.md").write_text("d")
    (tmp_path / "link.md").symlink_to(tmp_path / "a.md")
    (tmp_path / "linked").symlink_to(tmp_path / "sub", target_is_directory=True)
    found = dict(walk(tmp_path))
    assert sorted(found) == ["a.md", "folder.md/d.md", "sub/b.md", "sub/deeper/c.md"]
    assert found["sub/deeper/c.md"].st_size == 3
    assert dict(walk(tmp_path / "missing")) == {}


def test_take_gives_ids_and_the_bytes_of_unknown_files(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_bytes(b"alpha")
    (tmp_path / "b.md").write_bytes(b"beta")
    cache = StatCache(tmp_path / ".cache")
    snap, fresh = take(tmp_path, cache, {"b.md": blob_id(b"beta")})
    assert snap.files == {"a.md": blob_id(b"alpha"), "b.md": blob_id(b"beta")}
    assert snap.skipped == {}
    assert fresh == {blob_id(b"alpha"): b"alpha"}  # b.md is in the history already


def test_a_known_id_under_another_path_is_not_read_again(tmp_path: Path) -> None:
    (tmp_path / "moved.md").write_bytes(b"same")
    snap, fresh = take(tmp_path, StatCache(tmp_path / ".cache"), {"old.md": blob_id(b"same")})
    assert snap.files == {"moved.md": blob_id(b"same")} and fresh == {}


def test_a_large_file_is_left_out_with_its_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(snapshot, "_credential", lambda data: None)  # 5 MB scans are slow
    (tmp_path / "big.md").write_bytes(b"x" * (MAX_FILE_BYTES + 1))
    (tmp_path / "edge.md").write_bytes(b"y" * MAX_FILE_BYTES)
    snap, fresh = take(tmp_path, StatCache(tmp_path / ".cache"), {})
    assert snap.skipped == {"big.md": "larger than 5 MB"}
    assert list(snap.files) == ["edge.md"]
    assert fresh[snap.files["edge.md"]] == b"y" * MAX_FILE_BYTES


def test_a_file_with_a_credential_is_left_out_and_remembered(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = f"---\nname: k\n---\nkey: {PLANTED}\n".encode()
    (tmp_path / "key.md").write_bytes(secret)
    cache = StatCache(tmp_path / ".cache")
    snap, fresh = take(tmp_path, cache, {})
    assert snap.files == {} and fresh == {}
    [reason] = snap.skipped.values()
    assert reason.startswith("holds a credential (") and reason.endswith(", line 4)")
    assert cache.is_secret(blob_id(secret))
    # Next time the cached verdict stands, without running the detector again.
    calls: list[bytes] = []
    monkeypatch.setattr(snapshot, "_credential", lambda data: calls.append(data))
    (tmp_path / "later.md").write_bytes(b"plain")
    monkeypatch.setattr(snapshot, "walk", lambda root: iter(sorted(walk(root))))
    snap, _ = take(tmp_path, cache, {})
    assert snap.skipped == {"key.md": "holds a credential"}
    assert calls == [b"plain"]  # only the new file is checked; the next one is still taken
    assert list(snap.files) == ["later.md"]


def later(monkeypatch: pytest.MonkeyPatch) -> None:
    """The cache is saved 3 s from now: files changed up to now are past the racy window."""
    now = time.time_ns()
    monkeypatch.setattr(snapshot, "time", SimpleNamespace(time_ns=lambda: now + 3_000_000_000))


def test_the_stat_cache_spares_reading_unchanged_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "m"
    folder.mkdir()
    (folder / "a.md").write_bytes(b"alpha")
    old = time.time() - 60
    os.utime(folder / "a.md", (old, old))
    cache = StatCache(tmp_path / "cache")
    take(folder, cache, {})
    later(monkeypatch)
    cache.save()
    again = StatCache(tmp_path / "cache")
    st = (folder / "a.md").stat()
    assert again.lookup("a.md", st) == blob_id(b"alpha")
    assert again.lookup("b.md", st) is None


def test_a_cached_id_is_not_trusted_when_the_file_may_have_changed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "a.md"
    path.write_bytes(b"alpha")
    old = time.time() - 60
    os.utime(path, (old, old))
    cache = StatCache(tmp_path / "cache")
    st = path.stat()
    cache.remember("a.md", st, "sha")
    later(monkeypatch)
    cache.save()
    assert StatCache(tmp_path / "cache").lookup("a.md", st) == "sha"
    # Any of size, inode, mtime or ctime moving means "read it again".
    for field in ("st_size", "st_ino", "st_mtime_ns", "st_ctime_ns"):
        moved = _Stat(st, **{field: getattr(st, field) + 1})
        assert StatCache(tmp_path / "cache").lookup("a.md", moved) is None, field  # type: ignore[arg-type]
    # Racy git: a file touched within 2 s before the cache was written is read again.
    fresh_cache = StatCache(tmp_path / "cache")
    written = fresh_cache._written_ns
    for age_ns, trusted in ((2_000_000_001, True), (2_000_000_000, False), (0, False)):
        stamp = written - age_ns
        racy = _Stat(st, st_mtime_ns=stamp, st_ctime_ns=stamp - 10**10)
        fresh_cache.remember("r.md", racy, "sha")  # type: ignore[arg-type]
        assert (fresh_cache.lookup("r.md", racy) == "sha") is trusted, age_ns  # type: ignore[arg-type]
        racy = _Stat(st, st_mtime_ns=stamp - 10**10, st_ctime_ns=stamp)
        fresh_cache.remember("r.md", racy, "sha")  # type: ignore[arg-type]
        assert (fresh_cache.lookup("r.md", racy) == "sha") is trusted, age_ns  # type: ignore[arg-type]


class _Stat:
    def __init__(self, st: os.stat_result, **changes: int) -> None:
        for name in ("st_size", "st_ino", "st_mtime_ns", "st_ctime_ns"):
            setattr(self, name, changes.get(name, getattr(st, name)))


def test_the_cache_is_written_only_when_it_changed_and_keeps_secrets(tmp_path: Path) -> None:
    path = tmp_path / "cache"
    cache = StatCache(path)
    cache.save()
    assert not path.exists()  # nothing to keep
    cache.mark_secret("s1")
    before = time.time_ns()
    cache.save()
    version, written, entries, secrets = marshal.loads(path.read_bytes())
    assert (version, entries, secrets) == (2, {}, ["s1"])
    assert written >= before
    assert cache._written_ns == written
    path.write_bytes(b"left alone")
    cache.save()  # clean now: no second write
    assert path.read_bytes() == b"left alone"
    assert not list(tmp_path.glob(".cache.*.tmp"))


def test_an_unreadable_or_other_version_cache_starts_empty(tmp_path: Path) -> None:
    path = tmp_path / "cache"
    st = path.parent.stat()
    for payload in (b"", b"junk", marshal.dumps((1, 0, {"a.md": (1, 2, 3, 4, "x")}, []))):
        path.write_bytes(payload)
        cache = StatCache(path)
        assert cache.lookup("a.md", st) is None and not cache.is_secret("x")
    path.write_bytes(marshal.dumps((2, 5, {}, ["x"])))
    assert StatCache(path).is_secret("x") and StatCache(path)._written_ns == 5


def test_files_gone_from_the_folder_leave_the_cache(tmp_path: Path) -> None:
    folder = tmp_path / "m"
    folder.mkdir()
    (folder / "a.md").write_bytes(b"a")
    (folder / "b.md").write_bytes(b"b")
    cache = StatCache(tmp_path / "cache")
    take(folder, cache, {})
    cache.save()
    (folder / "b.md").unlink()
    cache = StatCache(tmp_path / "cache")
    take(folder, cache, {})
    assert sorted(cache._entries) == ["a.md"]
    assert cache._dirty
    cache.save()
    cache = StatCache(tmp_path / "cache")
    cache.prune({"a.md"})
    assert not cache._dirty  # nothing went


def test_a_file_changed_between_stat_and_read_is_taken_as_it_is_now(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "a.md").write_bytes(b"now")
    cache = StatCache(tmp_path / "cache")
    # The cache claims an id no longer matching the bytes (a change the stat did not see).
    monkeypatch.setattr(StatCache, "lookup", lambda self, rel, st: blob_id(b"before"))
    snap, fresh = take(tmp_path, cache, {})
    assert snap.files == {"a.md": blob_id(b"now")}
    assert fresh == {blob_id(b"now"): b"now"}


def test_an_unreadable_file_is_left_out(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "a.md").write_bytes(b"a")
    (tmp_path / "b.md").write_bytes(b"b")
    real_open = open

    def refusing(path: object, *args: object, **kwargs: object) -> object:
        if str(path).endswith("a.md"):
            raise PermissionError(13, "Permission denied")
        return real_open(path, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr("builtins.open", refusing)
    snap, _ = take(tmp_path, StatCache(tmp_path / "cache"), {})
    assert snap.files == {"b.md": blob_id(b"b")} and snap.skipped == {}


def in_order(monkeypatch: pytest.MonkeyPatch, *, fail: str = "", vanish: str = "") -> None:
    """Folder listings in name order; listing `fail` raises; `vanish` is gone once listed."""
    real = os.scandir

    def scandir(path: str) -> list[os.DirEntry[str]]:
        if fail and path.endswith(fail):
            raise PermissionError(13, "Permission denied", path)
        entries = sorted(real(path), key=lambda e: e.name)
        for entry in entries:
            if entry.name == vanish:
                os.unlink(entry.path)
        return entries

    monkeypatch.setattr(snapshot.os, "scandir", scandir)


def test_a_folder_that_cannot_be_listed_does_not_stop_the_walk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("a", "bad"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "x.md").write_text(name)
    in_order(monkeypatch, fail="bad")
    assert [relative for relative, _ in walk(tmp_path)] == ["a/x.md"]


def test_a_file_gone_before_its_stat_does_not_stop_the_walk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("a.md", "b.md"):
        (tmp_path / name).write_text(name)
    in_order(monkeypatch, vanish="a.md")
    assert [relative for relative, _ in walk(tmp_path)] == ["b.md"]


def test_every_file_after_a_left_out_one_is_still_taken(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Each way a file is passed over, first in the walk, then an ordinary file after it.
    (tmp_path / "a-big.md").write_bytes(b"x" * (MAX_FILE_BYTES + 1))
    (tmp_path / "b-known.md").write_bytes(b"known")
    (tmp_path / "c-key.md").write_text(f"key {PLANTED}\n")
    (tmp_path / "d-plain.md").write_bytes(b"plain")
    in_order(monkeypatch)
    monkeypatch.setattr(snapshot, "walk", lambda root: iter(sorted(walk(root))))
    snap, _ = take(tmp_path, StatCache(tmp_path / ".cache"), {"old.md": blob_id(b"known")})
    assert sorted(snap.files) == ["b-known.md", "d-plain.md"]
    assert sorted(snap.skipped) == ["a-big.md", "c-key.md"]


def test_a_file_that_cannot_be_opened_does_not_stop_the_others(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "a.md").write_bytes(b"a")
    (tmp_path / "b.md").write_bytes(b"b")
    monkeypatch.setattr(snapshot, "walk", lambda root: iter(sorted(walk(root))))
    real_open = open

    def refusing(path: object, *args: object, **kwargs: object) -> object:
        if str(path).endswith("a.md"):
            raise PermissionError(13, "Permission denied")
        return real_open(path, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr("builtins.open", refusing)
    snap, _ = take(tmp_path, StatCache(tmp_path / ".cache"), {})
    assert snap.files == {"b.md": blob_id(b"b")}


def test_a_cached_file_is_not_read_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "m"
    folder.mkdir()
    (folder / "a.md").write_bytes(b"alpha")
    cache = StatCache(tmp_path / "cache")
    take(folder, cache, {})
    later(monkeypatch)
    cache.save()
    opened: list[str] = []
    real_open = open

    def counting(path: object, *args: object, **kwargs: object) -> object:
        opened.append(str(path))
        return real_open(path, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr("builtins.open", counting)
    snap, fresh = take(folder, StatCache(tmp_path / "cache"), {"a.md": blob_id(b"alpha")})
    assert snap.files == {"a.md": blob_id(b"alpha")} and fresh == {}
    assert not [p for p in opened if p.endswith("a.md")]


def test_a_cached_id_not_yet_recorded_is_read_once_more_for_its_bytes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "m"
    folder.mkdir()
    (folder / "a.md").write_bytes(b"a")
    (folder / "b.md").write_bytes(b"b")
    cache = StatCache(tmp_path / "cache")
    take(folder, cache, {})
    later(monkeypatch)
    cache.save()
    monkeypatch.setattr(snapshot, "walk", lambda root: iter(sorted(walk(root))))
    real = Path.read_bytes

    def refusing(self: Path) -> bytes:
        if self.name == "a.md":
            raise PermissionError(13, "Permission denied")
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", refusing)
    snap, fresh = take(folder, StatCache(tmp_path / "cache"), {})
    assert snap.files == {"b.md": blob_id(b"b")} and fresh == {blob_id(b"b"): b"b"}


def test_a_credential_next_to_bytes_that_are_not_utf8_is_found(tmp_path: Path) -> None:
    (tmp_path / "key.md").write_bytes(b"\xff\xfe broken\n" + f"key {PLANTED}\n".encode())
    snap, _ = take(tmp_path, StatCache(tmp_path / ".cache"), {})
    assert list(snap.skipped) == ["key.md"] and snap.files == {}


def test_a_removed_file_alone_makes_the_cache_worth_saving(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "m"
    folder.mkdir()
    (folder / "a.md").write_bytes(b"a")
    (folder / "b.md").write_bytes(b"b")
    cache = StatCache(tmp_path / "cache")
    take(folder, cache, {})
    later(monkeypatch)
    cache.save()
    (folder / "b.md").unlink()
    cache = StatCache(tmp_path / "cache")
    take(folder, cache, {})  # a.md is trusted from the cache: only the removal changed it
    assert cache._dirty


def test_a_cache_that_cannot_be_written_is_skipped_quietly(tmp_path: Path) -> None:
    cache = StatCache(tmp_path / "missing-folder" / "cache")
    cache.mark_secret("s")
    cache.save()
    assert not (tmp_path / "missing-folder").exists()
    assert cache._dirty  # still to be written next time
