"""`memdir.recall.indexed`: the first build of a large folder answers from memory and
writes its index in a detached process; later recalls read that index."""

from __future__ import annotations

import fcntl
import json
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from memdir.recall.indexed import IndexedSelector
from tests.conftest import subprocess_env
from tests.recall.conftest import (
    MEMORIES,
    QUERIES,
    all_postings,
    assert_consistent,
    expected,
    picked,
    selector_for,
)

# A fresh process: refresh (the index written aside from 5 files on), rank, report.
_RECALL = """
import json, sys
from memdir.recall.indexed import IndexedSelector
IndexedSelector.write_aside_from = 5
selector = IndexedSelector(sys.argv[1], index_file=sys.argv[2])
print("ready", flush=True)
selector.refresh()
picks = {q: [[p[0], p[5], list(p[6]), p[8]] for p in selector.rank(q, fill=True)]
         for q in sys.argv[3:]}
print(json.dumps({"parsed": selector.parsed, "fresh": selector.fresh is not None,
                  "picks": picks}), flush=True)
"""


def recall(folder: Path, file: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", _RECALL, str(folder), str(file), *QUERIES],
        stdout=subprocess.PIPE,
        text=True,
        env=subprocess_env(),
    )


def report(process: subprocess.Popen[str]) -> dict:
    out, _ = process.communicate(timeout=120)
    assert process.returncode == 0
    return json.loads(out.splitlines()[-1])


def wait_written(file: Path, timeout: float = 60.0) -> None:
    """Until the detached writer has finished (it holds the lock file while writing)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if file.exists():
            lock = os.open(f"{file}.lock", os.O_RDWR | os.O_CREAT)
            try:
                fcntl.flock(lock, fcntl.LOCK_SH | fcntl.LOCK_NB)
                with sqlite3.connect(file) as db:
                    if db.execute("SELECT value FROM meta WHERE key = 'listing'").fetchone():
                        return
            except OSError:
                pass
            finally:
                os.close(lock)
        time.sleep(0.05)
    raise AssertionError("the index was never written")


def test_the_first_recall_answers_from_memory_and_the_index_follows(
    folder: Path, tmp_path: Path
) -> None:
    file = tmp_path / "index.sqlite"
    first = report(recall(folder, file))
    assert first["fresh"] and first["parsed"] == len(MEMORIES)
    wait_written(file)
    assert_consistent(file)
    normal = tmp_path / "normal.sqlite"
    selector_for(folder, normal).close()  # built in this process, the ordinary way
    assert all_postings(file) == all_postings(normal)
    second = report(recall(folder, file))
    assert not second["fresh"] and second["parsed"] == 0  # read from the written index
    assert second["picks"] == first["picks"]
    assert any(first["picks"].values())


def test_a_recall_arriving_while_the_index_is_written_waits_for_it(
    folder: Path, tmp_path: Path
) -> None:
    file = tmp_path / "index.sqlite"
    lock = os.open(f"{file}.lock", os.O_RDWR | os.O_CREAT)
    fcntl.flock(lock, fcntl.LOCK_EX)  # as a writer started by another recall holds it
    try:
        waiting = recall(folder, file)
        assert waiting.stdout is not None and waiting.stdout.readline().strip() == "ready"
        time.sleep(1.0)
        assert waiting.poll() is None  # blocked on the writer's lock
        selector_for(folder, file).close()  # the other writer finishes the index
    finally:
        os.close(lock)
    seen = report(waiting)
    assert not seen["fresh"] and seen["parsed"] == 0  # it read the index, built nothing


def test_a_small_folder_is_indexed_in_process(folder: Path, tmp_path: Path) -> None:
    file = tmp_path / "index.sqlite"
    selector = selector_for(folder, file)  # below `write_aside_from`
    assert selector.fresh is None and selector.parsed == len(MEMORIES)
    assert_consistent(file)
    assert not Path(f"{file}.lock").exists()


def test_a_large_first_build_with_no_place_for_the_index_still_answers(
    folder: Path, tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.setattr(IndexedSelector, "write_aside_from", 1)
    blocker = tmp_path / "file"
    blocker.write_text("")
    selector = selector_for(folder, blocker / "index.sqlite")  # its folder cannot exist
    assert selector.fresh is None and selector.parsed == len(MEMORIES)  # kept in memory
    assert picked(selector, QUERIES[1]) == expected(folder, QUERIES[1])
    assert picked(selector, QUERIES[1])


def test_the_index_is_written_even_when_nothing_is_ranked(folder: Path, tmp_path: Path) -> None:
    file = tmp_path / "index.sqlite"
    code = (
        "import sys\n"
        "from memdir.recall.indexed import IndexedSelector\n"
        "IndexedSelector.write_aside_from = 5\n"
        "selector = IndexedSelector(sys.argv[1], index_file=sys.argv[2])\n"
        "selector.refresh()\n"
        "assert selector.fresh is not None\n"
        "selector.close()\n"
    )
    subprocess.run(
        [sys.executable, "-c", code, str(folder), str(file)],
        env=subprocess_env(),
        timeout=120,
        check=True,
    )
    wait_written(file)
    assert_consistent(file)
    assert len(all_postings(file)) > 0
