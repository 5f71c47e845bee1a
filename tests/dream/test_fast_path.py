"""The trigger check on the Stop hook's path: cheap, and never the model SDK."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from memdir.daemon.idle_dream import IdleDreamer
from memdir.dream.layout import DreamFiles
from memdir.dream.settings import DreamSettings
from memdir.extract.extractor import ExtractState
from memdir.store.folder import MemoryDir
from tests.conftest import subprocess_env
from tests.dream_helpers import make_folder


def test_the_stop_hook_check_imports_neither_the_sdk_nor_the_extractor(memory_dir: Path) -> None:
    store = MemoryDir(memory_dir)
    store.init()
    # Consolidated an hour ago: the time gate, one stat, answers.
    DreamFiles.for_folder(memory_dir, store.state_path).mark_consolidated(time.time() - 3600)
    code = (
        "import sys, json\n"
        "from pathlib import Path\n"
        "from memdir.integrations.claude_code.hooks import run_hook\n"
        "stop = {'session_id': 's', 'transcript_path': '/x.jsonl', 'cwd': '/',"
        " 'hook_event_name': 'Stop', 'stop_hook_active': False}\n"
        f"run_hook('stop', json.dumps(stop), memory_dir=Path({str(memory_dir)!r}))\n"
        "print('\\n'.join(sys.modules))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env=subprocess_env(),
    ).stdout.split()
    assert "memdir.dream.triggers" in out  # the check really ran
    for heavy in ("anthropic", "memdir.dream.run", "memdir.extract.extractor", "memdir.recall"):
        assert heavy not in out, heavy


def _five_sessions(store: MemoryDir) -> None:
    cursors = ExtractState(store.state_path, store.path).folder / "cursors"
    cursors.mkdir(parents=True)
    for n in range(5):
        (cursors / f"s{n}.json").write_text(json.dumps({"last_id": "x"}))


def test_the_daemon_starts_a_run_only_when_idle(memory_dir: Path) -> None:
    store = MemoryDir(memory_dir)
    make_folder(store, 4)
    store.write_text("dup.md", (memory_dir / "billing.md").read_text())
    _five_sessions(store)
    files = DreamFiles.for_folder(memory_dir, store.state_path)

    busy = IdleDreamer([memory_dir], store.state_path, settings=DreamSettings(idle_s=600))
    busy.prompt_seen()
    busy.check()
    time.sleep(0.5)
    assert not files.root.exists()

    idle = IdleDreamer([memory_dir], store.state_path, settings=DreamSettings(idle_s=0))
    idle.check()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not list(files.root.glob("runs/*/run.json")):
        time.sleep(0.1)
    assert files.last_consolidated() is not None
    assert len(list(memory_dir.glob("*.md"))) == 5  # four memories and the index


def test_the_daemon_thread_stops(memory_dir: Path) -> None:
    dreamer = IdleDreamer([memory_dir], memory_dir, tick_s=0.01)
    dreamer.start()
    dreamer.stop()
    assert not dreamer._thread.is_alive()
