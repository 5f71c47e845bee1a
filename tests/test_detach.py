"""`memdir.detach.spawn_module`: a real detached process, its output, state folder and session."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from memdir.detach import spawn_module

# What the started module writes: its arguments, the state folder it was given, its session.
PROBE = """
import json, os, sys
out = {"argv": sys.argv[1:], "state": os.environ.get("MEMDIR_STATE_DIR"), "sid": os.getsid(0)}
print(json.dumps(out), flush=True)
if len(sys.argv) > 2:
    open(sys.argv[2], "w").write("done")
"""


def _wait_for(path: Path, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and path.read_text().strip():
            return
        time.sleep(0.02)


@pytest.fixture
def probe(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    package = tmp_path / "modules"
    package.mkdir()
    (package / "memdir_probe.py").write_text(PROBE)
    paths = [str(package), os.environ.get("PYTHONPATH", "")]
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(p for p in paths if p))
    return "memdir_probe"


def test_the_module_runs_in_its_own_session_with_the_state_folder_and_log(
    probe: str, tmp_path: Path
) -> None:
    log = tmp_path / "state" / "logs" / "probe.log"
    spawn_module(probe, "one", state=tmp_path / "state", log=log, label="memdir-probe")
    _wait_for(log)
    seen = json.loads(log.read_text().splitlines()[0])
    assert seen["argv"] == ["one"]
    assert seen["state"] == str(tmp_path / "state")
    assert seen["sid"] != os.getsid(0)


def test_without_a_log_the_output_is_discarded_and_no_log_folder_is_made(
    probe: str, tmp_path: Path
) -> None:
    done = tmp_path / "done"
    spawn_module(probe, "two", str(done), state=tmp_path / "state", log=None, label="memdir-probe")
    _wait_for(done)
    assert done.read_text() == "done"
    assert not (tmp_path / "state").exists()
