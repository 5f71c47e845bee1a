"""The daemon's local socket: one JSON line in, one JSON line out, per connection.

The accept loop blocks in `select` on the listening socket and a wake-up pipe, so an idle
daemon uses no CPU (no poll interval, unlike `socketserver.serve_forever`). Each
connection gets a short-lived thread, because a recall that asks the model can take
seconds and must not hold up a ping.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import selectors
import socket
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..errors import ConfigurationError

logger = logging.getLogger("memdir.daemon.service")

#: Handles one decoded request and returns the answer (never raises for bad input).
RequestHandler = Callable[[dict[str, Any]], dict[str, Any]]

_MAX_REQUEST_BYTES = 1024 * 1024
#: A client that connects and then says nothing is dropped after this long.
_IO_TIMEOUT_S = 30.0
_JOIN_TIMEOUT_S = 10.0


class LineServer:
    """Serves `handler` on a Unix socket at `path`, readable and writable by us alone."""

    def __init__(self, path: Path, handler: RequestHandler) -> None:
        self.path = path
        self._handler = handler
        self._listener: socket.socket | None = None
        self._wake_r, self._wake_w = -1, -1
        self._accept_thread: threading.Thread | None = None
        self._clients: set[threading.Thread] = set()
        self._lock = threading.Lock()
        self._closing = False

    def start(self) -> None:
        """Bind and start accepting; a leftover socket file must already be removed.

        Raises:
            ConfigurationError: the socket cannot be created (the message says where).
        """
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            listener.bind(os.fspath(self.path))
            # The folder is 0700 already, so the moment between bind and chmod exposes
            # nothing; the chmod makes the socket itself owner-only as well.
            os.chmod(self.path, 0o600)
            listener.listen(64)
        except OSError as exc:
            listener.close()
            raise ConfigurationError(
                f"cannot listen on the daemon socket: {exc.strerror or exc}", path=self.path
            ) from exc
        self._listener = listener
        self._wake_r, self._wake_w = os.pipe()
        self._accept_thread = threading.Thread(
            target=self._accept_loop, name="memdir-socket", daemon=True
        )
        self._accept_thread.start()

    def close(self) -> None:
        """Stop accepting, wait for open connections to finish, remove the socket file."""
        with self._lock:
            self._closing = True
        if self._wake_w >= 0:
            with contextlib.suppress(OSError):
                os.write(self._wake_w, b"x")
        if self._accept_thread is not None:
            self._accept_thread.join(_JOIN_TIMEOUT_S)
            self._accept_thread = None
        with self._lock:
            clients = list(self._clients)
        for thread in clients:
            thread.join(_JOIN_TIMEOUT_S)
        if self._listener is not None:
            self._listener.close()
            self._listener = None
        for fd in (self._wake_r, self._wake_w):
            if fd >= 0:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self._wake_r = self._wake_w = -1
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()

    def _accept_loop(self) -> None:
        assert self._listener is not None
        with selectors.DefaultSelector() as selector:
            selector.register(self._listener, selectors.EVENT_READ)
            selector.register(self._wake_r, selectors.EVENT_READ)
            while True:
                ready = selector.select()
                with self._lock:
                    if self._closing:
                        return
                if not any(key.fileobj is self._listener for key, _ in ready):
                    continue
                try:
                    conn, _ = self._listener.accept()
                except OSError:
                    continue
                thread = threading.Thread(
                    target=self._serve, args=(conn,), name="memdir-socket-client", daemon=True
                )
                with self._lock:
                    self._clients.add(thread)
                thread.start()

    def _serve(self, conn: socket.socket) -> None:
        try:
            with conn:
                conn.settimeout(_IO_TIMEOUT_S)
                answer = self._answer(_read_line(conn))
                data = json.dumps(answer, ensure_ascii=False, default=str) + "\n"
                # A lone surrogate (valid JSON, invalid UTF-8) can only sit inside a JSON
                # string, where "\\udc80" is its valid escape: the answer is still sent.
                conn.sendall(data.encode("utf-8", errors="backslashreplace"))
        except OSError as exc:
            logger.debug("socket client went away: %s", exc)
        finally:
            with self._lock:
                self._clients.discard(threading.current_thread())

    def _answer(self, line: bytes | None) -> dict[str, Any]:
        if line is None:
            return {"ok": False, "error": "request too long or not terminated by a newline"}
        try:
            request = json.loads(line.decode("utf-8"))
        except ValueError:
            return {"ok": False, "error": "request is not JSON"}
        except RecursionError:
            return {"ok": False, "error": "request is nested too deeply"}
        if not isinstance(request, dict):
            return {"ok": False, "error": "request must be a JSON object"}
        try:
            return self._handler(request)
        except Exception as exc:  # noqa: BLE001 - one bad request must not kill the daemon
            logger.exception("request %r failed", request.get("op"))
            return {"ok": False, "error": f"{type(exc).__name__}: {exc}"}


def _read_line(conn: socket.socket) -> bytes | None:
    """Bytes up to the first newline; None when the peer sends too much or stops early."""
    buffer = bytearray()
    while b"\n" not in buffer:
        chunk = conn.recv(65536)
        if not chunk:
            return None
        buffer += chunk
        if len(buffer) > _MAX_REQUEST_BYTES:
            return None
    return bytes(buffer.split(b"\n", 1)[0])
