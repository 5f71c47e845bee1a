"""`memdir.detach`: real detached processes, their output, state folder and session."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from memdir.detach import spawn_module
from tests.conftest import subprocess_env

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


# A caller that hands work to `fork_detached` and exits: the work waits for a "go" file,
# then writes its process id and session to "done".
CALLER = """
import json, os, sys, time
from pathlib import Path
from memdir.detach import fork_detached
go, done = Path(sys.argv[1]), Path(sys.argv[2])

def work():
    while not go.exists():
        time.sleep(0.01)
    print("from the work", flush=True)  # to the null device, not the caller's output
    done.write_text(json.dumps({"pid": os.getpid(), "sid": os.getsid(0)}))

if sys.argv[3] == "thread":
    import threading
    stop = threading.Event()
    threading.Thread(target=stop.wait).start()
    print("started" if fork_detached(work) else "refused", flush=True)
    stop.set()
else:
    print("started" if fork_detached(work) else "refused", flush=True)
    print(os.getpid(), flush=True)
"""


def test_fork_detached_returns_before_the_work_and_its_output_ends_with_the_caller(
    tmp_path: Path,
) -> None:
    go, done = tmp_path / "go", tmp_path / "done"
    caller = subprocess.run(
        [sys.executable, "-c", CALLER, str(go), str(done), "plain"],
        capture_output=True,
        text=True,
        timeout=60,  # would hang here if the work kept the caller's output open
        env=subprocess_env(),
        check=True,
    )
    answer, pid = caller.stdout.split()
    assert answer == "started" and not done.exists()  # the work has not run yet
    go.write_text("go")
    _wait_for(done)
    seen = json.loads(done.read_text())
    assert seen["pid"] != int(pid) and seen["sid"] != os.getsid(0)
    assert "from the work" not in caller.stdout


def test_fork_detached_refuses_while_another_thread_runs(tmp_path: Path) -> None:
    go, done = tmp_path / "go", tmp_path / "done"
    go.write_text("go")  # the work would run at once
    caller = subprocess.run(
        [sys.executable, "-c", CALLER, str(go), str(done), "thread"],
        capture_output=True,
        text=True,
        timeout=60,
        env=subprocess_env(),
        check=True,
    )
    assert caller.stdout.split() == ["refused"]
    time.sleep(0.5)
    assert not done.exists()


# Maps over 1,000 numbers with `map_forked`; reports the results and which processes
# worked them out. "fail": the copy dies on its first item; "thread": another thread runs.
MAPPER = """
import json, os, sys, threading
from memdir.detach import map_forked
me = os.getpid()
mode = sys.argv[1]

def work(x):
    if mode == "fail" and os.getpid() != me:
        os._exit(3)
    return [x * x, os.getpid()]

if mode == "thread":
    stop = threading.Event()
    threading.Thread(target=stop.wait).start()
calls = []
out = map_forked(
    work, list(range(1000)), least=int(sys.argv[2]), meanwhile=lambda: calls.append(os.getpid())
)
if mode == "thread":
    stop.set()
print(json.dumps({"me": me, "out": out, "meanwhile": calls}))
"""


def mapped(mode: str, least: int = 400) -> tuple[list[int], set[int], int]:
    done = subprocess.run(
        [sys.executable, "-c", MAPPER, mode, str(least)],
        capture_output=True,
        text=True,
        timeout=60,
        env=subprocess_env(),
        check=True,
    )
    seen = json.loads(done.stdout)
    assert seen["meanwhile"] == [seen["me"]]  # called once, here, whichever way it went
    return [v for v, _ in seen["out"]], {p for _, p in seen["out"]}, seen["me"]


def _cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1


@pytest.mark.skipif(_cores() < 2, reason="one processor: nothing to share the work with")
def test_map_forked_shares_the_work_with_a_copy_and_keeps_the_order() -> None:
    values, workers, me = mapped("plain")
    assert values == [x * x for x in range(1000)]
    assert me in workers and len(workers) == 2  # half here, half in the copy


def test_map_forked_works_out_a_failed_copy_s_half_itself() -> None:
    values, workers, me = mapped("fail")
    assert values == [x * x for x in range(1000)]
    assert workers == {me}


@pytest.mark.parametrize("mode, least", [("thread", 400), ("plain", 1001)])
def test_map_forked_stays_in_process_with_threads_or_few_items(mode: str, least: int) -> None:
    values, workers, me = mapped(mode, least)
    assert values == [x * x for x in range(1000)]
    assert workers == {me}
