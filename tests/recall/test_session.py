import subprocess
import sys
from pathlib import Path

from memdir.recall.session import SESSION_BYTE_BUDGET, SessionStore


def test_marks_accumulate_and_are_counted_once(tmp_path: Path) -> None:
    store = SessionStore(tmp_path)
    store.mark("s1", [("/m/a.md", 100), ("/m/b.md", 50)])
    state = store.mark("s1", [("/m/a.md", 100), ("/m/c.md", 10)])
    assert state.surfaced == {"/m/a.md", "/m/b.md", "/m/c.md"}
    assert state.bytes_used == 160
    assert state.bytes_left == SESSION_BYTE_BUDGET - 160
    assert store.get("s2").surfaced == frozenset()
    assert store.get(None).bytes_used == 0


def test_unsafe_session_ids_stay_inside_the_state_folder(tmp_path: Path) -> None:
    store = SessionStore(tmp_path / "state")
    store.mark("../../escape", [("/m/a.md", 1)])
    assert not (tmp_path / "escape.json").exists()
    assert store.get("../../escape").surfaced == {"/m/a.md"}
    assert all(p.parent == store.folder for p in store.folder.iterdir())


def test_corrupt_session_file_reads_as_empty(tmp_path: Path) -> None:
    store = SessionStore(tmp_path)
    store.mark("s1", [("/m/a.md", 1)])
    (store.folder / "s1.json").write_text("{broken")
    assert store.get("s1").surfaced == frozenset()


MARKER = """
import sys
from pathlib import Path
from memdir.recall.session import SessionStore
store = SessionStore(Path(sys.argv[1]))
for i in range(100):
    store.mark("shared", [(f"/m/{sys.argv[2]}-{i}.md", 1)])
"""


def test_two_processes_marking_one_session_lose_nothing(tmp_path: Path) -> None:
    procs = [subprocess.Popen([sys.executable, "-c", MARKER, str(tmp_path), tag]) for tag in "ab"]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    state = SessionStore(tmp_path).get("shared")
    assert len(state.surfaced) == 200 and state.bytes_used == 200


def test_a_new_session_removes_files_untouched_for_two_weeks(tmp_path: Path) -> None:
    import os
    import time

    store = SessionStore(tmp_path)
    store.mark("old", [("/m/a.md", 1)])
    store.mark("recent", [("/m/a.md", 1)])
    long_ago = time.time() - 15 * 86400
    for name in ("old.json", "old.lock"):
        os.utime(store.folder / name, (long_ago, long_ago))
    store.mark("recent", [("/m/b.md", 1)])  # an existing session does not tidy
    assert (store.folder / "old.json").exists()
    store.mark("new", [("/m/a.md", 1)])
    assert not (store.folder / "old.json").exists() and not (store.folder / "old.lock").exists()
    assert store.get("recent").surfaced == {"/m/a.md", "/m/b.md"}
