"""`memdir.store.cachefile`: a cache is data or nothing, and a failed save costs only time."""

from __future__ import annotations

import marshal
import stat
from pathlib import Path

import pytest

from memdir.store import cachefile

DATA = {"files": ["a.md", "b.md"], "tokens": {"deploy": [0, 1]}, "mtime": 1.5, "n": 2}


def test_saved_data_loads_back_under_the_same_version(tmp_path: Path) -> None:
    path = tmp_path / "state" / "scan.cache"
    cachefile.save(path, "v3", DATA)
    assert cachefile.load(path, "v3") == DATA


def test_a_cache_is_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "scan.cache"
    cachefile.save(path, "v1", DATA)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_another_version_is_a_miss(tmp_path: Path) -> None:
    path = tmp_path / "scan.cache"
    cachefile.save(path, "v1", DATA)
    assert cachefile.load(path, "v2") is None


def test_saving_again_replaces_the_data(tmp_path: Path) -> None:
    path = tmp_path / "state" / "scan.cache"
    cachefile.save(path, "v1", DATA)
    cachefile.save(path, "v1", ["newer"])
    assert cachefile.load(path, "v1") == ["newer"]
    assert [p.name for p in path.parent.iterdir()] == ["scan.cache"]  # no temporary file left


def test_no_path_means_no_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    before = sorted(tmp_path.rglob("*"))
    cachefile.save(None, "v1", DATA)
    assert cachefile.load(None, "v1") is None
    assert sorted(tmp_path.rglob("*")) == before


def test_a_missing_file_is_a_miss(tmp_path: Path) -> None:
    assert cachefile.load(tmp_path / "absent.cache", "v1") is None


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"\x00garbage that is not marshal data",
        marshal.dumps(("v1", DATA))[:-3],  # cut short
        marshal.dumps(DATA),  # no version
        marshal.dumps(["v1", DATA]),  # a list, not a tuple
        marshal.dumps(("v1", DATA, "extra")),
        marshal.dumps(("v1",)),
    ],
    ids=["empty", "garbage", "truncated", "bare", "list", "three", "one"],
)
def test_a_file_of_another_shape_is_a_miss(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "scan.cache"
    path.write_bytes(content)
    assert cachefile.load(path, "v1") is None


def test_a_folder_in_place_of_the_file_is_a_miss(tmp_path: Path) -> None:
    (tmp_path / "scan.cache").mkdir()
    assert cachefile.load(tmp_path / "scan.cache", "v1") is None
    cachefile.save(tmp_path / "scan.cache", "v1", DATA)  # cannot replace a folder: ignored
    assert (tmp_path / "scan.cache").is_dir()


def test_data_marshal_cannot_write_is_not_saved(tmp_path: Path) -> None:
    path = tmp_path / "state" / "scan.cache"
    cachefile.save(path, "v1", {"bad": object()})
    assert not path.exists()
    assert not path.parent.exists() or list(path.parent.iterdir()) == []


def test_an_unwritable_place_is_ignored(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the state folder should be")
    cachefile.save(blocker / "scan.cache", "v1", DATA)
    assert blocker.read_text() == "a file where the state folder should be"
    assert cachefile.load(blocker / "scan.cache", "v1") is None
