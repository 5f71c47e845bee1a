"""A fake Anthropic Messages API over real HTTP, for testing `memdir.model.boundary` end to end.

A stdlib `ThreadingHTTPServer` on 127.0.0.1 with an ephemeral port, serving from a daemon
thread. Tests queue replies, point the real SDK at `fake.url`, then inspect
`fake.requests`. A request that finds the queue empty gets a 500 and is counted in
`fake.unexpected`, so a stray extra call shows up instead of hanging.

    with FakeAnthropic() as fake:
        fake.reply_error(529, "overloaded_error")
        fake.reply_text("hello")
        ...
        assert [r.path for r in fake.requests] == ["/v1/messages"] * 2
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

FAKE_MODEL = "claude-sonnet-5-5"

_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    402: "billing_error",
    403: "permission_error",
    404: "not_found_error",
    408: "timeout_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    503: "api_error",
    529: "overloaded_error",
}


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    """One request as the fake saw it. Header names are lower-cased."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any
    raw: bytes
    time: float


@dataclass(frozen=True, slots=True)
class _Reply:
    status: int = 200
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)
    delay: float = 0.0
    drop: bool = False


class FakeAnthropic:
    """Scripted replies in, recorded requests out."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queue: deque[_Reply] = deque()
        self._requests: list[RecordedRequest] = []
        self._unexpected = 0
        self._closing = threading.Event()
        self._counter = 0
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        # A short poll interval keeps shutdown (once per test) from costing half a second.
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.02},
            name="fake-anthropic",
            daemon=True,
        )
        self._thread.start()

    # -- lifecycle -------------------------------------------------------------------

    @property
    def url(self) -> str:
        """Base URL to pass as ``base_url`` / ``ANTHROPIC_BASE_URL``."""
        return f"http://127.0.0.1:{self._server.server_port}"

    def close(self) -> None:
        """Stop serving; wakes any reply still sleeping in a `delay`."""
        self._closing.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> FakeAnthropic:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- scripting -------------------------------------------------------------------

    def reply_json(
        self,
        body: Any,
        *,
        status: int = 200,
        headers: Mapping[str, str] | None = None,
        delay: float = 0.0,
    ) -> None:
        """Queue a reply with `body` as JSON."""
        payload = json.dumps(body).encode("utf-8")
        all_headers = {"content-type": "application/json", **(headers or {})}
        self._push(_Reply(status=status, body=payload, headers=all_headers, delay=delay))

    def reply_raw(
        self, body: bytes, *, content_type: str, status: int = 200, delay: float = 0.0
    ) -> None:
        """Queue a reply with exactly `body` (a proxy's page, a broken JSON document)."""
        headers = {"content-type": content_type}
        self._push(_Reply(status=status, body=body, headers=headers, delay=delay))

    def reply_text(
        self,
        text: str,
        *,
        model: str = FAKE_MODEL,
        stop_reason: str = "end_turn",
        delay: float = 0.0,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        """Queue a successful Messages API response holding one text block."""
        content = [{"type": "text", "text": text}]
        self.reply_json(
            self.message_body(content, model=model, stop_reason=stop_reason),
            delay=delay,
            headers=headers,
        )

    def reply_tool_use(
        self,
        *calls: tuple[str, dict[str, Any]],
        text: str | None = None,
        model: str = FAKE_MODEL,
        delay: float = 0.0,
    ) -> list[str]:
        """Queue a response that calls tools: each call is ``(tool name, input)``.

        Returns the generated ``tool_use`` ids, in order, for building tool results.
        """
        content: list[dict[str, Any]] = []
        if text is not None:
            content.append({"type": "text", "text": text})
        ids = []
        for name, tool_input in calls:
            tool_id = f"toolu_fake_{self._next_id()}"
            ids.append(tool_id)
            content.append({"type": "tool_use", "id": tool_id, "name": name, "input": tool_input})
        self.reply_json(
            self.message_body(content, model=model, stop_reason="tool_use"), delay=delay
        )
        return ids

    def reply_error(
        self,
        status: int,
        error_type: str | None = None,
        *,
        message: str | None = None,
        headers: Mapping[str, str] | None = None,
        delay: float = 0.0,
    ) -> None:
        """Queue an error in the API's shape: ``{"type": "error", "error": {...}}``."""
        kind = error_type or _ERROR_TYPES.get(status, "api_error")
        body = {
            "type": "error",
            "error": {"type": kind, "message": message or f"fake {kind}"},
            "request_id": f"req_fake_{self._next_id()}",
        }
        self.reply_json(body, status=status, headers=headers, delay=delay)

    def close_connection(self, *, delay: float = 0.0) -> None:
        """Queue a reply that drops the socket without answering."""
        self._push(_Reply(drop=True, delay=delay))

    def message_body(
        self, content: list[dict[str, Any]], *, model: str = FAKE_MODEL, stop_reason: str
    ) -> dict[str, Any]:
        """A valid Messages API response body around `content`."""
        return {
            "id": f"msg_fake_{self._next_id()}",
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": content,
            "stop_reason": stop_reason,
            "stop_sequence": None,
            "usage": {"input_tokens": 10, "output_tokens": 5},
        }

    # -- inspection ------------------------------------------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received so far, in arrival order."""
        with self._lock:
            return list(self._requests)

    @property
    def unexpected(self) -> int:
        """How many requests arrived with nothing queued for them."""
        with self._lock:
            return self._unexpected

    @property
    def pending(self) -> int:
        """Replies queued but not yet used."""
        with self._lock:
            return len(self._queue)

    # -- internals -------------------------------------------------------------------

    def _next_id(self) -> int:
        with self._lock:
            self._counter += 1
            return self._counter

    def _push(self, reply: _Reply) -> None:
        with self._lock:
            self._queue.append(reply)

    def _take(self, request: RecordedRequest) -> _Reply:
        with self._lock:
            self._requests.append(request)
            if self._queue:
                return self._queue.popleft()
            self._unexpected += 1
        body = {
            "type": "error",
            "error": {"type": "api_error", "message": "fake: no reply queued for this request"},
        }
        return _Reply(
            status=500,
            body=json.dumps(body).encode("utf-8"),
            headers={"content-type": "application/json"},
        )

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            # HTTP/1.0: one request per connection, so a dropped socket affects one attempt.
            protocol_version = "HTTP/1.0"

            def do_POST(self) -> None:  # noqa: N802 - stdlib naming
                self._serve()

            def do_GET(self) -> None:  # noqa: N802
                self._serve()

            def _serve(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body: Any = json.loads(raw) if raw else None
                except ValueError:
                    body = None
                recorded = RecordedRequest(
                    method=self.command,
                    path=self.path,
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=body,
                    raw=raw,
                    time=time.monotonic(),
                )
                reply = fake._take(recorded)
                if reply.delay and fake._closing.wait(reply.delay):
                    return
                if reply.drop:
                    self.close_connection = True
                    return
                try:
                    self.send_response(reply.status)
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.send_header("content-length", str(len(reply.body)))
                    self.end_headers()
                    self.wfile.write(reply.body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # The client gave up (its timeout) before we answered.

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass  # Keep test output clean.

        return Handler


@pytest.fixture
def fake_anthropic(no_thread_leaks: None) -> Iterator[FakeAnthropic]:
    """A running fake Anthropic server, stopped after the test (and its threads with it)."""
    with FakeAnthropic() as fake:
        yield fake
