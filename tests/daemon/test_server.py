"""`memdir.daemon.server`: one JSON line in, one JSON line out, and a bad request harms no one."""

from __future__ import annotations

import json
import socket
import stat
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from memdir.daemon import server as server_module
from memdir.daemon.server import LineServer
from memdir.errors import ConfigurationError


def echo(request: dict[str, Any]) -> dict[str, Any]:
    return {"ok": True, "echo": request}


@pytest.fixture
def serve(sock_path: Path) -> Iterator[Any]:
    """Start a `LineServer` with the given handler; every server is closed after the test."""
    started: list[LineServer] = []

    def start(handler: Any = echo) -> LineServer:
        server = LineServer(sock_path, handler)
        server.start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.close()


def exchange(path: Path, payload: bytes, *, shut_write: bool = False) -> bytes:
    """Send raw bytes, then read until the server closes the connection."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
        conn.settimeout(10)
        conn.connect(str(path))
        conn.sendall(payload)
        if shut_write:
            conn.shutdown(socket.SHUT_WR)
        chunks = []
        while chunk := conn.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def ask(path: Path, payload: bytes, **kwargs: Any) -> dict[str, Any]:
    raw = exchange(path, payload, **kwargs)
    assert raw.endswith(b"\n") and raw.count(b"\n") == 1
    answer: dict[str, Any] = json.loads(raw)
    return answer


def test_one_line_in_one_line_out(serve: Any, sock_path: Path) -> None:
    serve()
    assert ask(sock_path, b'{"op": "ping", "n": 1}\n') == {
        "ok": True,
        "echo": {"op": "ping", "n": 1},
    }


def test_only_the_first_line_is_read(serve: Any, sock_path: Path) -> None:
    serve()
    assert ask(sock_path, b'{"op": "a"}\n{"op": "b"}\n')["echo"] == {"op": "a"}


def test_the_socket_is_owner_only(serve: Any, sock_path: Path) -> None:
    serve()
    assert stat.S_ISSOCK(sock_path.stat().st_mode)
    assert stat.S_IMODE(sock_path.stat().st_mode) == 0o600


@pytest.mark.parametrize(
    ("payload", "error"),
    [
        (b"not json\n", "request is not JSON"),
        (b"\xff\xfe\n", "request is not JSON"),
        (b'["op", "ping"]\n', "request must be a JSON object"),
        (b'"ping"\n', "request must be a JSON object"),
    ],
)
def test_bad_requests_get_an_error_answer(
    serve: Any, sock_path: Path, payload: bytes, error: str
) -> None:
    calls: list[dict[str, Any]] = []
    serve(lambda request: calls.append(request) or {"ok": True})
    assert ask(sock_path, payload) == {"ok": False, "error": error}
    assert calls == []


def test_a_request_without_a_newline_is_refused(serve: Any, sock_path: Path) -> None:
    serve()
    answer = ask(sock_path, b'{"op": "ping"}', shut_write=True)
    assert answer == {"ok": False, "error": "request too long or not terminated by a newline"}


def test_an_oversized_request_is_refused(
    serve: Any, sock_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(server_module, "_MAX_REQUEST_BYTES", 1000)
    serve()
    at_limit = b'{"pad": "' + b"x" * (1000 - 12) + b'"}\n'
    assert len(at_limit) == 1000
    assert ask(sock_path, at_limit)["ok"] is True
    answer = ask(sock_path, b"x" * 1001 + b"\n")
    assert answer == {"ok": False, "error": "request too long or not terminated by a newline"}


def test_a_failing_handler_answers_with_the_error_and_the_server_goes_on(
    serve: Any, sock_path: Path
) -> None:
    def handler(request: dict[str, Any]) -> dict[str, Any]:
        if request["op"] == "boom":
            raise RuntimeError("the index is on fire")
        return {"ok": True}

    serve(handler)
    assert ask(sock_path, b'{"op": "boom"}\n') == {
        "ok": False,
        "error": "RuntimeError: the index is on fire",
    }
    assert ask(sock_path, b'{"op": "ping"}\n') == {"ok": True}


def test_answers_are_utf8_and_any_value_is_written_as_text(serve: Any, sock_path: Path) -> None:
    serve(lambda request: {"ok": True, "path": Path("/m/caf\u00e9.md"), "word": "\u00fcber"})
    raw = exchange(sock_path, b'{"op": "x"}\n')
    assert "caf\u00e9".encode() in raw  # not escaped as \\u00e9
    assert json.loads(raw) == {"ok": True, "path": "/m/caf\u00e9.md", "word": "\u00fcber"}


def test_a_slow_request_does_not_hold_up_another(serve: Any, sock_path: Path) -> None:
    release = threading.Event()
    entered = threading.Event()

    def handler(request: dict[str, Any]) -> dict[str, Any]:
        if request["op"] == "slow":
            entered.set()
            release.wait(10)
        return {"ok": True, "op": request["op"]}

    serve(handler)
    slow_answer: list[dict[str, Any]] = []
    slow = threading.Thread(target=lambda: slow_answer.append(ask(sock_path, b'{"op":"slow"}\n')))
    slow.start()
    try:
        assert entered.wait(10)
        assert ask(sock_path, b'{"op": "ping"}\n') == {"ok": True, "op": "ping"}
        assert slow_answer == []  # the slow one is still being worked on
    finally:
        release.set()
        slow.join()
    assert slow_answer == [{"ok": True, "op": "slow"}]


def test_close_lets_an_open_request_finish_then_removes_the_socket(sock_path: Path) -> None:
    release = threading.Event()
    entered = threading.Event()

    def handler(request: dict[str, Any]) -> dict[str, Any]:
        entered.set()
        release.wait(10)
        return {"ok": True}

    server = LineServer(sock_path, handler)
    server.start()
    answers: list[dict[str, Any]] = []
    client = threading.Thread(target=lambda: answers.append(ask(sock_path, b'{"op":"x"}\n')))
    client.start()
    assert entered.wait(10)
    closer = threading.Thread(target=server.close)
    closer.start()
    try:
        closer.join(0.2)
        assert closer.is_alive()  # close waits for the request in progress
    finally:
        release.set()
        closer.join()
        client.join()
    assert answers == [{"ok": True}]
    assert not sock_path.exists()


def test_after_close_nobody_listens(sock_path: Path) -> None:
    server = LineServer(sock_path, echo)
    server.start()
    server.close()
    server.close()  # twice is harmless
    assert not sock_path.exists()
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
        with pytest.raises(OSError):
            conn.connect(str(sock_path))


def test_a_server_that_never_started_closes_quietly(sock_path: Path) -> None:
    LineServer(sock_path, echo).close()
    assert not sock_path.exists()


def test_a_socket_that_cannot_be_bound_is_a_configuration_error(tmp_path: Path) -> None:
    path = tmp_path / "no-such-folder" / "d.sock"
    with pytest.raises(ConfigurationError, match="cannot listen on the daemon socket") as caught:
        LineServer(path, echo).start()
    assert caught.value.path == path


def test_a_leftover_socket_file_must_be_removed_first(serve: Any, sock_path: Path) -> None:
    serve()
    with pytest.raises(ConfigurationError) as caught:
        LineServer(sock_path, echo).start()
    assert caught.value.path == sock_path
    assert ask(sock_path, b'{"op": "still"}\n')["echo"] == {"op": "still"}  # first one unharmed


def test_deep_json_and_lone_surrogates_get_an_answer(serve: Any, sock_path: Path) -> None:
    serve()
    deep = b'{"op": ' + b"[" * 100_000 + b"]" * 100_000 + b"}\n"
    assert ask(sock_path, deep) == {"ok": False, "error": "request is nested too deeply"}
    answer = ask(sock_path, b'{"op": "recall", "query": "\\ud800 alone"}\n')
    assert answer == {"ok": True, "echo": {"op": "recall", "query": "\ud800 alone"}}
