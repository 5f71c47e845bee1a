"""Persistent counters shared across processes."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

from memdir.stats import STATS_FILE, Stats

ROOT = Path(__file__).resolve().parents[1]


def test_empty_reads_as_nothing(tmp_path: Path) -> None:
    stats = Stats(tmp_path)
    assert stats.read() == {}
    assert stats.get("model_attempts") == 0


def test_bump_adds_and_persists(tmp_path: Path) -> None:
    Stats(tmp_path).bump(model_attempts=2, model_calls_ok=1)
    Stats(tmp_path).bump(model_attempts=3)
    assert Stats(tmp_path).read() == {"model_attempts": 5, "model_calls_ok": 1}
    on_disk = json.loads((tmp_path / STATS_FILE).read_text(encoding="utf-8"))
    assert on_disk == {"model_attempts": 5, "model_calls_ok": 1}


def test_zero_counts_write_nothing(tmp_path: Path) -> None:
    stats = Stats(tmp_path)
    stats.bump(model_retries=0)
    assert not stats.path.exists()


def test_set_replaces_a_gauge(tmp_path: Path) -> None:
    stats = Stats(tmp_path)
    stats.set(memories=12)
    stats.set(memories=9)
    stats.bump(recalls=1)
    assert stats.read() == {"memories": 9, "recalls": 1}


def test_no_temp_files_left_behind(tmp_path: Path) -> None:
    stats = Stats(tmp_path)
    for _ in range(5):
        stats.bump(n=1)
    leftovers = [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    assert leftovers == []


def test_damaged_file_recovers(tmp_path: Path) -> None:
    (tmp_path / STATS_FILE).write_text("[1, 2", encoding="utf-8")
    stats = Stats(tmp_path)
    assert stats.read() == {}
    stats.bump(n=1)
    assert stats.read() == {"n": 1}


def test_non_integer_entries_are_ignored(tmp_path: Path) -> None:
    (tmp_path / STATS_FILE).write_text(
        json.dumps({"n": 4, "flag": True, "name": "x", "ratio": 0.5}), encoding="utf-8"
    )
    stats = Stats(tmp_path)
    assert stats.read() == {"n": 4}
    stats.bump(flag=1)
    assert stats.get("flag") == 1


def test_unwritable_state_folder_never_raises(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x", encoding="utf-8")
    stats = Stats(blocker)
    stats.bump(n=1)
    stats.set(g=1)
    assert stats.read() == {}


def test_threads_do_not_lose_updates(tmp_path: Path) -> None:
    stats = Stats(tmp_path)

    def work() -> None:
        for _ in range(20):
            stats.bump(n=1)

    threads = [threading.Thread(target=work) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert stats.get("n") == 120


def test_processes_do_not_lose_updates(tmp_path: Path) -> None:
    code = (
        "import sys; from pathlib import Path; from memdir.stats import Stats\n"
        "s = Stats(Path(sys.argv[1]))\n"
        "for _ in range(40): s.bump(n=1)\n"
    )
    children = [
        subprocess.Popen([sys.executable, "-c", code, str(tmp_path)], cwd=ROOT) for _ in range(4)
    ]
    for child in children:
        assert child.wait(timeout=60) == 0
    assert Stats(tmp_path).get("n") == 160


def test_tally_appends_without_rewriting_and_reads_with_the_rest(tmp_path: Path) -> None:
    from memdir.stats import PENDING_FILE

    stats = Stats(tmp_path)
    stats.bump(recalls=2)
    before = (tmp_path / STATS_FILE).stat().st_ino
    stats.tally(recalls=1, recalled_memories=3)
    stats.tally(recalls=1, nothing=0)
    assert (tmp_path / STATS_FILE).stat().st_ino == before  # no rename per tally
    assert (tmp_path / PENDING_FILE).read_text().count("\n") == 2
    assert stats.read() == {"recalled_memories": 3, "recalls": 4}
    # The next bump folds what was appended into the file.
    stats.bump(model_attempts=1)
    assert not (tmp_path / PENDING_FILE).exists()
    on_disk = json.loads((tmp_path / STATS_FILE).read_text(encoding="utf-8"))
    assert on_disk == {"model_attempts": 1, "recalled_memories": 3, "recalls": 4}


def test_tally_survives_a_damaged_line_and_folds_when_large(tmp_path: Path, monkeypatch) -> None:
    import memdir.stats as module

    (tmp_path / module.PENDING_FILE).write_text('{"recalls": 1}\n{"recal\n')
    stats = Stats(tmp_path)
    assert stats.read() == {"recalls": 1}
    monkeypatch.setattr(module, "PENDING_MAX_BYTES", 30)
    stats.tally(recalls=1)
    assert not (tmp_path / module.PENDING_FILE).exists()
    assert json.loads((tmp_path / STATS_FILE).read_text(encoding="utf-8")) == {"recalls": 2}
