"""The daemon's socket protocol: the client, the line server, and the fallback rules."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from memdir.daemon.client import daemon_recall, recall
from memdir.daemon.server import LineServer
from memdir.daemon.wire import (
    daemon_stats,
    live_socket,
    ping,
    private_folder,
    request,
    short_socket_dir,
    socket_path,
)
from memdir.recall import RecallResult
from memdir.recall.recaller import Recaller
from memdir.store.folder import MemoryDir


def _serve(path: Path, handler: Any) -> LineServer:
    server = LineServer(path, handler)
    server.start()
    return server


def test_socket_path_lives_in_the_state_folder_when_short(tmp_path: Path) -> None:
    state = Path("/tmp") / "s"
    path = socket_path(tmp_path / "mem", state_dir=state)
    assert path.parent == state / "daemon"
    assert path.name.startswith("mem-") and path.name.endswith(".sock")


def test_long_socket_paths_fall_back_to_a_short_private_name(tmp_path: Path) -> None:
    deep = tmp_path / ("x" * 80) / "state"
    first = socket_path(tmp_path / "mem", state_dir=deep)
    other = socket_path(tmp_path / "mem", state_dir=deep.with_name("state2"))
    assert first.parent == short_socket_dir()
    assert len(os.fsencode(first)) < 104
    # Two state folders must never share a daemon.
    assert first != other
    assert first == socket_path(tmp_path / "mem", state_dir=deep)


def test_no_daemon_means_none_at_once(memory_dir: Path) -> None:
    started = time.monotonic()
    assert daemon_recall(memory_dir, query="deploy steps please") is None
    assert ping(memory_dir) is None
    assert daemon_stats(memory_dir) is None
    assert time.monotonic() - started < 0.5


def test_a_stale_socket_file_is_refused_quickly(sock_path: Path) -> None:
    dead = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    dead.bind(str(sock_path))
    dead.close()  # the file stays, nobody listens: what a crash leaves behind
    started = time.monotonic()
    assert request(sock_path, {"op": "ping"}) is None
    assert time.monotonic() - started < 0.1


def test_round_trip_and_owner_only_socket(sock_path: Path) -> None:
    seen: list[dict[str, Any]] = []

    def handler(req: dict[str, Any]) -> dict[str, Any]:
        seen.append(req)
        return {"ok": True, "echo": req["text"], "big": "é" * 200_000}

    server = _serve(sock_path, handler)
    try:
        assert sock_path.stat().st_mode & 0o777 == 0o600
        answer = request(sock_path, {"op": "echo", "text": "héllo"}, timeout=2.0)
        assert answer is not None
        assert answer["echo"] == "héllo"
        assert len(answer["big"]) == 200_000
        assert seen == [{"op": "echo", "text": "héllo"}]
    finally:
        server.close()
    assert not sock_path.exists()


def test_bad_requests_get_errors_and_the_server_keeps_going(sock_path: Path) -> None:
    def handler(req: dict[str, Any]) -> dict[str, Any]:
        if req.get("op") == "boom":
            raise RuntimeError("kaput")
        return {"ok": True}

    server = _serve(sock_path, handler)
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as raw:
            raw.connect(str(sock_path))
            raw.sendall(b"not json\n")
            reply = json.loads(raw.makefile().readline())
        assert reply == {"ok": False, "error": "request is not JSON"}
        failed = request(sock_path, {"op": "boom"}, timeout=2.0)
        assert failed is not None and failed["ok"] is False
        assert "RuntimeError: kaput" in failed["error"]
        assert request(sock_path, {"op": "fine"}, timeout=2.0) == {"ok": True}
    finally:
        server.close()


def test_a_slow_daemon_times_out_to_none(sock_path: Path) -> None:
    def handler(req: dict[str, Any]) -> dict[str, Any]:
        time.sleep(0.5)
        return {"ok": True}

    server = _serve(sock_path, handler)
    try:
        started = time.monotonic()
        assert request(sock_path, {"op": "x"}, timeout=0.1) is None
        assert time.monotonic() - started < 0.4
    finally:
        server.close()


def test_a_socket_in_a_folder_others_can_enter_is_not_trusted(tmp_path: Path) -> None:
    folder = tmp_path / "open"
    folder.mkdir(mode=0o755)
    folder.chmod(0o755)
    assert not private_folder(folder)
    assert request(folder / "x.sock", {"op": "ping"}) is None
    folder.chmod(0o700)
    assert private_folder(folder)


def test_daemon_recall_returns_none_when_the_daemon_reports_failure(
    sock_path: Path, memory_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import memdir.daemon.client as client

    monkeypatch.setattr(client, "live_socket", lambda *_a, **_k: sock_path)
    sent = RecallResult("deploy please", "offline", "offline requested", ())
    answers = iter(
        [
            {"ok": False, "error": "nope"},
            {"ok": True, "result": {"selector": "offline"}},  # not a whole result
            {"ok": True, "result": sent.to_json()},
        ]
    )
    requests: list[dict[str, Any]] = []

    def handler(req: dict[str, Any]) -> dict[str, Any]:
        requests.append(req)
        return next(answers)

    server = _serve(sock_path, handler)
    try:
        assert daemon_recall(memory_dir, query="a b") is None
        assert daemon_recall(memory_dir, query="a b") is None
        answer = daemon_recall(
            memory_dir,
            query="deploy please",
            session_id="s1",
            tools=["Bash"],
            offline=True,
            project_root=Path("/p"),
        )
    finally:
        server.close()
    assert answer == sent
    assert requests[2] == {
        "op": "recall",
        "query": "deploy please",
        "session_id": "s1",
        "tools": ["Bash"],
        "offline": True,
        "project_root": "/p",
    }


def test_no_socket_file_means_no_socket_or_hashlib_import(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from memdir.daemon.wire import live_socket\n"
        f"print(live_socket(Path({str(tmp_path / 'mem')!r}), state_dir=Path({str(tmp_path)!r})))\n"
        "print(sorted(m for m in ('socket', 'hashlib') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.split("\n")[:2] == ["None", "[]"]


def test_live_socket_finds_the_daemons_socket_file(tmp_path: Path) -> None:
    memory = tmp_path / "mem"
    path = socket_path(memory, state_dir=tmp_path)
    assert live_socket(memory, state_dir=tmp_path) is None
    path.parent.mkdir(parents=True)
    (path.parent / "other-0123456789abcdef.sock").touch()  # another folder's daemon
    assert live_socket(memory, state_dir=tmp_path) is None
    path.touch()
    assert live_socket(memory, state_dir=tmp_path) == path


def test_recall_falls_back_to_this_process_and_reads_the_same(memory_dir: Path) -> None:
    store = MemoryDir(memory_dir)
    store.save(
        name="Deploy steps",
        description="How we deploy the billing service to staging",
        type="project",
        body="Run make deploy-staging, then check the dashboard.",
    )
    here = recall(memory_dir, "how do we deploy billing to staging", offline=True)
    assert [m.header.filename for m in here.memories] == ["deploy_steps.md"]
    local = Recaller(store).recall("how do we deploy billing to staging", offline=True)
    assert here.render() == local.render()


def test_the_client_module_stays_light() -> None:
    code = (
        "import sys, memdir.daemon.client\n"
        "print(sorted(m for m in ('anthropic', 'watchdog', 'click', 'memdir.recall.recaller') "
        "if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"


def test_the_answer_shape_check_knows_every_key_of_the_wire_format(memory_dir: Path) -> None:
    from memdir.daemon.client import MEMORY_KEYS, RESULT_KEYS, is_recall_result

    (memory_dir / "deploy.md").write_text(
        "---\nname: Deploy\ndescription: staging deploy steps\ntype: project\n---\nmake it\n"
    )
    result = Recaller(MemoryDir(memory_dir)).recall("staging deploy steps", offline=True)
    data = result.to_json()
    assert set(data) == RESULT_KEYS
    assert data["memories"] and set(data["memories"][0]) == MEMORY_KEYS
    assert is_recall_result(data)
    memory = dict(data["memories"][0])
    del memory["content"]
    for broken in (
        None,
        [],
        {k: v for k, v in data.items() if k != "skipped"},
        dict(data, memories={}),
        dict(data, memories=["x"]),
        dict(data, memories=[memory]),
    ):
        assert not is_recall_result(broken), broken


def test_recall_json_and_recall_give_the_same_result(memory_dir: Path) -> None:
    from memdir.daemon.client import recall_json

    (memory_dir / "deploy.md").write_text(
        "---\nname: Deploy\ndescription: staging deploy steps\ntype: project\n---\nmake it\n"
    )
    data = recall_json(memory_dir, "staging deploy steps", offline=True, mark_surfaced=False)
    result = recall(memory_dir, "staging deploy steps", offline=True, mark_surfaced=False)
    assert data["memories"] and RecallResult.from_json(data) == result
    with pytest.raises(ValueError, match="at least 1"):
        recall_json(memory_dir, "staging deploy steps", limit=0)
