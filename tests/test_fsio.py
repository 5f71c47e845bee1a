import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from memdir.errors import LockTimeoutError, StoreIOError, UnsafePathError
from memdir.fsio import atomic_write, confine, file_lock, is_inside, read_json_object


def test_confine_accepts_paths_inside(tmp_path: Path) -> None:
    assert confine(tmp_path, "a/b.md") == tmp_path.resolve() / "a" / "b.md"


@pytest.mark.parametrize(
    "bad", ["../x.md", "/etc/passwd", "a/../../x.md", "a\x00b.md", "~/x.md", "a\\b.md", " "]
)
def test_confine_refuses_escapes(tmp_path: Path, bad: str) -> None:
    with pytest.raises(UnsafePathError) as info:
        confine(tmp_path, bad)
    assert info.value.exit_code == 2


def test_confine_refuses_symlinked_folder_outside(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    (root / "out").symlink_to(tmp_path)
    with pytest.raises(UnsafePathError, match="symlink"):
        confine(root, "out/x.md")
    assert is_inside(root, root / "a.md") and not is_inside(root, tmp_path / "b.md")


def test_atomic_write_replaces_whole_file_and_sets_mode(tmp_path: Path) -> None:
    tmp_path = tmp_path / "w"
    tmp_path.mkdir()
    target = tmp_path / "f.txt"
    atomic_write(target, "old")
    atomic_write(target, "new", mode=0o600)
    assert target.read_text() == "new"
    assert target.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["f.txt"]


def test_atomic_write_failure_names_the_path_and_keeps_the_old_file(tmp_path: Path) -> None:
    tmp_path = tmp_path / "w"
    tmp_path.mkdir()
    target = tmp_path / "f.txt"
    atomic_write(target, "old")
    (tmp_path / "dir").mkdir()
    with pytest.raises(StoreIOError) as info:
        atomic_write(tmp_path / "dir", "x")  # a folder cannot be replaced by a file
    assert info.value.path == tmp_path / "dir"
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dir", "f.txt"]


HOLDER = """
import sys, time
from pathlib import Path
from memdir.fsio import file_lock
with file_lock(Path(sys.argv[1])):
    print("held", flush=True)
    time.sleep(float(sys.argv[2]))
"""


def test_file_lock_excludes_other_processes_and_times_out(tmp_path: Path) -> None:
    lock = tmp_path / "x.lock"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(lock), "1.5"], stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    started = time.monotonic()
    with pytest.raises(LockTimeoutError) as info, file_lock(lock, timeout=0.2):
        pass
    assert time.monotonic() - started < 1.0
    assert info.value.path == lock
    with file_lock(lock, timeout=10):  # released when the holder ends
        assert time.monotonic() - started >= 1.0
    assert holder.wait(timeout=10) == 0
    holder.stdout.close()


def test_a_killed_holder_leaves_no_stale_lock(tmp_path: Path) -> None:
    lock = tmp_path / "x.lock"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(lock), "60"], stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    os.kill(holder.pid, 9)
    holder.wait(timeout=10)
    holder.stdout.close()
    with file_lock(lock, timeout=2):
        pass


def test_try_lock_does_not_wait_and_release_is_idempotent(tmp_path: Path) -> None:
    from memdir.fsio import try_lock

    lock = tmp_path / "run.lock"
    held = try_lock(lock)
    assert held is not None
    # Another process sees it taken (flock is per open file, so ask from outside).
    probe = (
        "import sys; from pathlib import Path; from memdir.fsio import try_lock; "
        "sys.exit(0 if try_lock(Path(sys.argv[1])) is None else 1)"
    )
    assert subprocess.run([sys.executable, "-c", probe, str(lock)]).returncode == 0
    held.release()
    held.release()
    assert subprocess.run([sys.executable, "-c", probe, str(lock)]).returncode == 1


def test_a_file_in_place_of_the_folder_is_a_store_error(tmp_path: Path) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("x")
    with pytest.raises(StoreIOError) as caught:
        atomic_write(blocker / "sub" / "a.md", "text")
    assert caught.value.path == blocker / "sub" / "a.md"
    assert blocker.read_text() == "x"


def test_a_json_state_file_reads_as_its_object_or_none(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    assert read_json_object(path) is None  # missing
    for damaged in ("{not json", "[1, 2]", '"text"', "[" * 100_000 + "]" * 100_000, ""):
        path.write_text(damaged)
        assert read_json_object(path) is None, damaged[:20]
    path.write_bytes(b"\xff\xfe{}")
    assert read_json_object(path) is None  # not UTF-8
    path.write_text('{"a": [1, {"b": null}]}')
    assert read_json_object(path) == {"a": [1, {"b": None}]}
    assert read_json_object(tmp_path) is None  # a folder
