"""The model boundary, over real HTTP against the fake Anthropic server."""

from __future__ import annotations

import inspect
import random
import socket
import subprocess
import sys
import time
import typing
from pathlib import Path

import pytest

from memdir.errors import CircuitOpenError, ModelError
from memdir.model.boundary import (
    MIN_ATTEMPT_S,
    MessageCreator,
    ModelBoundary,
    RetryPolicy,
    response_text,
)
from memdir.model.breaker import BreakerState, CircuitBreaker
from memdir.model.config import DEFAULT_MODEL, ModelConfig
from memdir.paths import state_dir
from memdir.stats import Stats
from tests.fake_anthropic import FakeAnthropic

MESSAGES = [{"role": "user", "content": "What did we decide about the build?"}]
FAST = RetryPolicy(base_s=0.01, cap_s=0.02)
SLACK_S = 0.35


class SleepRecorder:
    """Really sleeps (so the fake sees the gap) and remembers each wait."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        time.sleep(seconds)


class MaxRandom(random.Random):
    """Full jitter always picks the top of its range, so waits are predictable."""

    def uniform(self, a: float, b: float) -> float:
        return b


def boundary_for(url: str, **kwargs: typing.Any) -> ModelBoundary:
    kwargs.setdefault("policy", FAST)
    kwargs.setdefault("rng", random.Random(7))
    config = ModelConfig(api_key="sk-test-key", base_url=url)
    boundary = ModelBoundary(config, state_dir=state_dir(), **kwargs)
    # Load the SDK up front so timing assertions measure HTTP, not the first import.
    boundary.warm()
    return boundary


def call(boundary: ModelBoundary, budget_s: float = 1.5) -> typing.Any:
    return boundary.create_message(budget_s=budget_s, max_tokens=64, messages=MESSAGES)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# -- configuration ---------------------------------------------------------------------


def test_import_does_not_load_anthropic() -> None:
    code = (
        "import sys, memdir.model.boundary, memdir.model.breaker, memdir.stats; "
        "assert 'anthropic' not in sys.modules, 'anthropic imported'"
    )
    root = str(Path(__file__).resolve().parents[2])
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=root, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr


def test_boundary_satisfies_protocol(fake_anthropic: FakeAnthropic) -> None:
    # The seam's signature is the boundary's own, and a call through it reaches the API.
    assert inspect.signature(ModelBoundary.create_message) == inspect.signature(
        MessageCreator.create_message
    )
    fake_anthropic.reply_text("through the seam")
    creator: MessageCreator = boundary_for(fake_anthropic.url)
    reply = creator.create_message(budget_s=1.5, max_tokens=16, messages=MESSAGES)
    assert response_text(reply) == "through the seam"
    assert len(fake_anthropic.requests) == 1


# -- success path ----------------------------------------------------------------------


def test_success_sends_one_well_formed_request(fake_anthropic: FakeAnthropic) -> None:
    fake_anthropic.reply_text("We use make.")
    boundary = boundary_for(fake_anthropic.url)

    message = boundary.create_message(
        budget_s=1.5, max_tokens=64, messages=MESSAGES, system="Answer briefly."
    )

    assert response_text(message) == "We use make."
    [request] = fake_anthropic.requests
    assert request.method == "POST"
    assert request.path == "/v1/messages"
    assert request.body["model"] == DEFAULT_MODEL
    assert request.body["max_tokens"] == 64
    assert request.body["messages"] == MESSAGES
    assert request.body["system"] == "Answer briefly."
    # anthropic 2.x sends an API key as a bearer token, not as x-api-key.
    assert request.headers["authorization"] == "Bearer sk-test-key"
    assert "x-api-key" not in request.headers
    # The SDK's own retries are off: every attempt reports retry count 0.
    assert request.headers["x-stainless-retry-count"] == "0"
    assert Stats(state_dir()).read() == {"model_attempts": 1, "model_calls_ok": 1}


def test_explicit_model_wins_over_config(fake_anthropic: FakeAnthropic) -> None:
    fake_anthropic.reply_text("ok")
    boundary = boundary_for(fake_anthropic.url)
    boundary.create_message(budget_s=1.5, model="claude-haiku-4-5", max_tokens=8, messages=MESSAGES)
    assert fake_anthropic.requests[0].body["model"] == "claude-haiku-4-5"


def test_auth_token_sent_when_no_api_key(fake_anthropic: FakeAnthropic) -> None:
    fake_anthropic.reply_text("ok")
    config = ModelConfig(auth_token="tok-123", base_url=fake_anthropic.url)
    call(ModelBoundary(config, state_dir=state_dir()))
    assert fake_anthropic.requests[0].headers["authorization"] == "Bearer tok-123"


def test_response_text_joins_text_blocks_only(fake_anthropic: FakeAnthropic) -> None:
    fake_anthropic.reply_tool_use(("memory", {"command": "view", "path": "/memories"}), text="Hm.")
    message = call(boundary_for(fake_anthropic.url))
    assert response_text(message) == "Hm."
    assert message.content[1].type == "tool_use"
    assert message.content[1].input == {"command": "view", "path": "/memories"}


def test_client_is_built_once(fake_anthropic: FakeAnthropic) -> None:
    fake_anthropic.reply_text("a")
    fake_anthropic.reply_text("b")
    boundary = boundary_for(fake_anthropic.url)
    call(boundary)
    first = boundary._client
    call(boundary)
    assert first is not None and boundary._client is first


@pytest.mark.parametrize("name", ["timeout", "stream", "max_retries"])
def test_rejects_parameters_the_boundary_owns(name: str, fake_anthropic: FakeAnthropic) -> None:
    boundary = boundary_for(fake_anthropic.url)
    with pytest.raises(TypeError) as info:
        boundary.create_message(budget_s=1, max_tokens=8, messages=MESSAGES, **{name: 1})
    # Our refusal, not the SDK's complaint about a repeated or unknown argument.
    assert str(info.value) == f"create_message() does not accept {name!r}"
    assert fake_anthropic.requests == []


def test_unconfigured_sends_nothing(fake_anthropic: FakeAnthropic) -> None:
    config = ModelConfig(api_key="sk-x", base_url=fake_anthropic.url, offline=True)
    with pytest.raises(ModelError) as info:
        call(ModelBoundary(config, state_dir=state_dir()))
    assert info.value.kind == "not_configured"
    assert fake_anthropic.requests == []


def test_sdk_loading_counts_against_the_budget(fake_anthropic: FakeAnthropic) -> None:
    import anthropic  # noqa: F401 - already paid for here; the sleep below stands in for it

    class SlowLoading(ModelBoundary):
        def _get_client(self) -> typing.Any:
            time.sleep(0.3)
            return super()._get_client()

    config = ModelConfig(api_key="sk-test-key", base_url=fake_anthropic.url)
    boundary = SlowLoading(config, state_dir=state_dir())
    started = time.monotonic()
    with pytest.raises(ModelError) as info:
        call(boundary, budget_s=0.2)
    assert time.monotonic() - started < 0.3 + SLACK_S
    assert info.value.kind == "timeout"
    assert "loading" in str(info.value)
    assert fake_anthropic.requests == []
    # Nothing was learnt about the API, so the breaker did not count it.
    assert boundary.breaker.snapshot().failures == 0


# -- retries ---------------------------------------------------------------------------


@pytest.mark.parametrize("status", [408, 500, 502, 503, 504, 529])
def test_retryable_status_then_success(status: int, fake_anthropic: FakeAnthropic) -> None:
    fake_anthropic.reply_error(status)
    fake_anthropic.reply_text("second time lucky")
    boundary = boundary_for(fake_anthropic.url)

    assert response_text(call(boundary)) == "second time lucky"
    assert len(fake_anthropic.requests) == 2
    assert fake_anthropic.unexpected == 0
    stats = Stats(state_dir()).read()
    assert stats["model_attempts"] == 2
    assert stats["model_retries"] == 1
    assert stats["model_calls_ok"] == 1


def test_dropped_connection_is_retried(fake_anthropic: FakeAnthropic) -> None:
    fake_anthropic.close_connection()
    fake_anthropic.reply_text("ok")
    assert response_text(call(boundary_for(fake_anthropic.url))) == "ok"
    assert len(fake_anthropic.requests) == 2


def test_connection_refused_fails_within_budget() -> None:
    boundary = boundary_for(f"http://127.0.0.1:{closed_port()}")
    started = time.monotonic()
    with pytest.raises(ModelError) as info:
        call(boundary, budget_s=0.5)
    assert time.monotonic() - started < 0.5 + SLACK_S
    assert info.value.kind == "connection"
    assert info.value.retryable
    assert "could not reach the model API" in str(info.value)
    assert not isinstance(info.value, CircuitOpenError)
    stats = Stats(state_dir()).read()
    assert stats["model_attempts"] >= 2
    assert stats["model_failures"] == 1
    assert stats["model_budget_exhausted"] == 1


def test_slow_server_times_out_within_budget(fake_anthropic: FakeAnthropic) -> None:
    fake_anthropic.reply_text("too late", delay=5)
    boundary = boundary_for(fake_anthropic.url)  # built and warmed before the clock starts
    started = time.monotonic()
    with pytest.raises(ModelError) as info:
        call(boundary, budget_s=0.6)
    elapsed = time.monotonic() - started
    assert 0.5 < elapsed < 0.6 + SLACK_S
    assert info.value.kind == "timeout"
    assert info.value.retryable
    # The one attempt used the whole budget as its timeout: nothing left to retry with.
    assert len(fake_anthropic.requests) == 1
    sent_timeout = float(fake_anthropic.requests[0].headers["x-stainless-read-timeout"])
    assert sent_timeout == pytest.approx(0.6, abs=0.05)


def test_retries_stop_at_max_attempts(fake_anthropic: FakeAnthropic) -> None:
    for _ in range(5):
        fake_anthropic.reply_error(500)
    policy = RetryPolicy(base_s=0.01, cap_s=0.01, max_attempts=3)
    with pytest.raises(ModelError) as info:
        call(boundary_for(fake_anthropic.url, policy=policy))
    assert info.value.kind == "server"
    assert len(fake_anthropic.requests) == 3
    assert "3 attempt(s)" in str(info.value)
    assert Stats(state_dir()).read() == {
        "model_attempts": 3,
        "model_retries": 2,
        "model_failures": 1,
        "model_budget_exhausted": 1,
    }


def test_backoff_is_full_jitter_capped_exponential(fake_anthropic: FakeAnthropic) -> None:
    for _ in range(3):
        fake_anthropic.reply_error(503)
    fake_anthropic.reply_text("ok")
    sleeper = SleepRecorder()
    policy = RetryPolicy(base_s=0.02, cap_s=0.05, max_attempts=4)
    boundary = boundary_for(fake_anthropic.url, policy=policy, sleep=sleeper, rng=MaxRandom())
    call(boundary)
    # Tops of the jitter ranges: 0.02 * 2**n, capped at 0.05.
    assert sleeper.waits == [0.02, 0.04, 0.05]


def test_jitter_draws_from_zero_to_ceiling(fake_anthropic: FakeAnthropic) -> None:
    fake_anthropic.reply_error(500)
    fake_anthropic.reply_text("ok")
    draws: list[tuple[float, float]] = []

    class Spy(random.Random):
        def uniform(self, a: float, b: float) -> float:
            draws.append((a, b))
            return a

    call(boundary_for(fake_anthropic.url, rng=Spy()))
    assert draws == [(0, FAST.base_s)]


def test_never_sleeps_past_the_budget(fake_anthropic: FakeAnthropic) -> None:
    fake_anthropic.reply_error(500)
    sleeper = SleepRecorder()
    policy = RetryPolicy(base_s=10, cap_s=10)
    boundary = boundary_for(fake_anthropic.url, policy=policy, sleep=sleeper, rng=MaxRandom())
    started = time.monotonic()
    with pytest.raises(ModelError) as info:
        call(boundary, budget_s=1.0)
    assert time.monotonic() - started < 0.5
    assert sleeper.waits == []
    assert info.value.kind == "server"
    assert len(fake_anthropic.requests) == 1


# -- rate limits -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "expected"),
    [({"retry-after": "0.4"}, 0.4), ({"retry-after-ms": "150"}, 0.15)],
)
def test_429_waits_exactly_retry_after_when_it_fits(
    headers: dict[str, str], expected: float, fake_anthropic: FakeAnthropic
) -> None:
    fake_anthropic.reply_error(429, headers=headers)
    fake_anthropic.reply_text("ok")
    sleeper = SleepRecorder()
    boundary = boundary_for(fake_anthropic.url, sleep=sleeper)

    assert response_text(call(boundary, budget_s=1.5)) == "ok"
    assert sleeper.waits == [pytest.approx(expected)]
    first, second = fake_anthropic.requests
    assert second.time - first.time >= expected


def test_429_with_retry_after_beyond_budget_fails_at_once(
    fake_anthropic: FakeAnthropic,
) -> None:
    fake_anthropic.reply_error(429, headers={"retry-after": "30"})
    sleeper = SleepRecorder()
    boundary = boundary_for(fake_anthropic.url, sleep=sleeper)
    started = time.monotonic()
    with pytest.raises(ModelError) as info:
        call(boundary, budget_s=1.0)
    assert time.monotonic() - started < 0.4
    assert sleeper.waits == []
    assert info.value.kind == "rate_limited"
    assert info.value.retryable
    assert len(fake_anthropic.requests) == 1


def test_429_without_header_backs_off_with_jitter(fake_anthropic: FakeAnthropic) -> None:
    fake_anthropic.reply_error(429)
    fake_anthropic.reply_text("ok")
    sleeper = SleepRecorder()
    assert response_text(call(boundary_for(fake_anthropic.url, sleep=sleeper))) == "ok"
    assert len(sleeper.waits) == 1
    assert 0 <= sleeper.waits[0] <= FAST.base_s


def test_spend_limit_429_is_not_retried(fake_anthropic: FakeAnthropic) -> None:
    fake_anthropic.reply_json(
        {
            "type": "error",
            "error": {
                "type": "rate_limit_error",
                "message": "monthly limit",
                "details": {"error_code": "enforced_spend_limit_reached"},
            },
        },
        status=429,
    )
    with pytest.raises(ModelError) as info:
        call(boundary_for(fake_anthropic.url))
    assert info.value.kind == "spend_limit"
    assert not info.value.retryable
    assert len(fake_anthropic.requests) == 1


# -- errors that are never retried -----------------------------------------------------


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (400, "bad_request"),
        (401, "auth"),
        (402, "billing"),
        (403, "permission"),
        (404, "not_found"),
        (413, "too_large"),
        (422, "unprocessable"),
    ],
)
def test_client_errors_fail_at_once(status: int, kind: str, fake_anthropic: FakeAnthropic) -> None:
    fake_anthropic.reply_error(status)
    fake_anthropic.reply_text("should not be reached")
    with pytest.raises(ModelError) as info:
        call(boundary_for(fake_anthropic.url))
    assert info.value.kind == kind
    assert not info.value.retryable
    assert len(fake_anthropic.requests) == 1
    stats = Stats(state_dir()).read()
    assert stats["model_failures"] == 1
    assert "model_budget_exhausted" not in stats


def test_server_can_veto_a_retry(fake_anthropic: FakeAnthropic) -> None:
    fake_anthropic.reply_error(500, headers={"x-should-retry": "false"})
    with pytest.raises(ModelError) as info:
        call(boundary_for(fake_anthropic.url))
    assert info.value.kind == "server"
    assert not info.value.retryable
    assert len(fake_anthropic.requests) == 1


def test_error_message_names_status_and_cause(fake_anthropic: FakeAnthropic) -> None:
    fake_anthropic.reply_error(401, message="invalid x-api-key")
    with pytest.raises(ModelError, match=r"401: invalid x-api-key.*ANTHROPIC_API_KEY"):
        call(boundary_for(fake_anthropic.url))


# -- circuit breaker -------------------------------------------------------------------


class WallClock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def test_three_failed_calls_open_the_breaker(fake_anthropic: FakeAnthropic) -> None:
    for _ in range(3):
        fake_anthropic.reply_error(401)
    boundary = boundary_for(fake_anthropic.url)
    for _ in range(3):
        with pytest.raises(ModelError) as info:
            call(boundary)
        assert not isinstance(info.value, CircuitOpenError)

    with pytest.raises(CircuitOpenError) as refused:
        call(boundary)
    assert refused.value.kind == "circuit_open"
    assert len(fake_anthropic.requests) == 3
    assert fake_anthropic.unexpected == 0
    stats = Stats(state_dir()).read()
    assert stats["breaker_opens"] == 1
    assert stats["model_calls_refused"] == 1
    assert stats["model_failures"] == 3


def test_bad_requests_do_not_open_the_breaker(fake_anthropic: FakeAnthropic) -> None:
    for _ in range(4):
        fake_anthropic.reply_error(400)
    fake_anthropic.reply_text("still reachable")
    boundary = boundary_for(fake_anthropic.url)
    for _ in range(4):
        with pytest.raises(ModelError):
            call(boundary)
    assert response_text(call(boundary)) == "still reachable"
    assert boundary.breaker.snapshot().state is BreakerState.CLOSED


def test_one_probe_after_cool_down_then_closed(fake_anthropic: FakeAnthropic) -> None:
    clock = WallClock()
    breaker = CircuitBreaker(state_dir(), cooldown_s=30, clock=clock)
    boundary = boundary_for(fake_anthropic.url, breaker=breaker)
    for _ in range(3):
        fake_anthropic.reply_error(403)
        with pytest.raises(ModelError):
            call(boundary)

    clock.now += 29
    with pytest.raises(CircuitOpenError):
        call(boundary)
    assert len(fake_anthropic.requests) == 3

    clock.now += 2
    fake_anthropic.reply_text("back")
    assert response_text(call(boundary)) == "back"
    assert len(fake_anthropic.requests) == 4
    assert breaker.snapshot().state is BreakerState.CLOSED

    fake_anthropic.reply_text("normal again")
    assert response_text(call(boundary)) == "normal again"


def test_failed_probe_reopens(fake_anthropic: FakeAnthropic) -> None:
    clock = WallClock()
    breaker = CircuitBreaker(state_dir(), cooldown_s=30, clock=clock)
    boundary = boundary_for(fake_anthropic.url, breaker=breaker, policy=RetryPolicy(max_attempts=1))
    for _ in range(3):
        fake_anthropic.reply_error(529)
        with pytest.raises(ModelError):
            call(boundary)
    clock.now += 31
    fake_anthropic.reply_error(529)
    with pytest.raises(ModelError) as info:
        call(boundary)
    assert not isinstance(info.value, CircuitOpenError)
    assert len(fake_anthropic.requests) == 4

    with pytest.raises(CircuitOpenError):
        call(boundary)
    assert len(fake_anthropic.requests) == 4
    assert Stats(state_dir()).get("breaker_opens") == 2


def test_probe_slot_is_freed_when_the_call_crashes(fake_anthropic: FakeAnthropic) -> None:
    clock = WallClock()
    breaker = CircuitBreaker(state_dir(), cooldown_s=30, clock=clock)
    boundary = boundary_for(fake_anthropic.url, breaker=breaker)
    for _ in range(3):
        fake_anthropic.reply_error(401)
        with pytest.raises(ModelError):
            call(boundary)
    clock.now += 31
    # The SDK rejects a call without max_tokens before sending: a bug, not an API verdict.
    with pytest.raises(TypeError):
        boundary.create_message(budget_s=1, messages=MESSAGES)
    assert not breaker.snapshot().probe_in_flight

    fake_anthropic.reply_text("probe")
    assert response_text(call(boundary)) == "probe"


def test_breaker_is_shared_between_boundaries(fake_anthropic: FakeAnthropic) -> None:
    first = boundary_for(fake_anthropic.url)
    for _ in range(3):
        fake_anthropic.reply_error(401)
        with pytest.raises(ModelError):
            call(first)

    second = boundary_for(fake_anthropic.url)
    fake_anthropic.reply_text("never sent")
    with pytest.raises(CircuitOpenError):
        call(second)
    assert len(fake_anthropic.requests) == 3


def test_breaker_is_shared_with_another_process(fake_anthropic: FakeAnthropic) -> None:
    boundary = boundary_for(fake_anthropic.url)
    for _ in range(3):
        fake_anthropic.reply_error(401)
        with pytest.raises(ModelError):
            call(boundary)
    fake_anthropic.reply_text("never sent")
    code = (
        "from memdir.model import ModelBoundary, ModelConfig\n"
        "from memdir.errors import CircuitOpenError\n"
        "from memdir.paths import state_dir\n"
        "import sys\n"
        f"config = ModelConfig(api_key='sk', base_url={fake_anthropic.url!r})\n"
        "b = ModelBoundary(config, state_dir=state_dir())\n"
        "try:\n"
        "    b.create_message(budget_s=1, max_tokens=8, messages=[{'role':'user','content':'x'}])\n"
        "except CircuitOpenError:\n"
        "    sys.exit(0)\n"
        "sys.exit(3)\n"
    )
    root = str(Path(__file__).resolve().parents[2])
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=root, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert len(fake_anthropic.requests) == 3


def test_fake_answers_unscripted_requests_with_500(fake_anthropic: FakeAnthropic) -> None:
    boundary = boundary_for(fake_anthropic.url, policy=RetryPolicy(max_attempts=1))
    with pytest.raises(ModelError) as info:
        call(boundary)
    assert info.value.kind == "server"
    assert fake_anthropic.unexpected == 1


# -- answers that are not messages -----------------------------------------------------


@pytest.mark.parametrize(
    ("body", "content_type", "why"),
    [
        (b"<html>proxy login</html>", "application/json", "a body that is not JSON"),
        (b"<html>proxy login</html>", "text/html", "a reply that is not a message"),
        (b'{"status": "ok"}', "application/json", "a reply that is not a message"),
    ],
)
def test_a_reply_that_is_not_a_message_is_an_unusable_answer(
    body: bytes, content_type: str, why: str, fake_anthropic: FakeAnthropic
) -> None:
    # A proxy in front of the API (ANTHROPIC_BASE_URL) answering 200 with its own page:
    # callers catch ModelError and fall back; anything else would take them down.
    fake_anthropic.reply_raw(body, content_type=content_type)
    fake_anthropic.reply_text("not reached: such an answer is not retried")
    boundary = boundary_for(fake_anthropic.url)
    with pytest.raises(ModelError) as info:
        call(boundary)
    assert info.value.kind == "error"
    assert not info.value.retryable
    assert str(info.value).startswith(f"the model API returned something unusable: {why}")
    assert len(fake_anthropic.requests) == 1
    # The API (or whatever answers for it) is up: the breaker counts no failure.
    assert boundary.breaker.snapshot().failures == 0
    stats = Stats(state_dir()).read()
    assert stats == {"model_attempts": 1, "model_failures": 1}


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (408, "timeout"),
        (409, "conflict"),
        (429, "rate_limited"),
        (500, "server"),
        (501, "server"),
        (503, "server"),
        (529, "overloaded"),
    ],
)
def test_retryable_statuses_name_their_kind(
    status: int, kind: str, fake_anthropic: FakeAnthropic
) -> None:
    fake_anthropic.reply_error(status, message="busy")
    boundary = boundary_for(fake_anthropic.url, policy=RetryPolicy(max_attempts=1))
    with pytest.raises(ModelError) as info:
        call(boundary)
    assert info.value.kind == kind
    assert info.value.retryable is True
    assert str(info.value) == (
        f"model API error {status}: busy (gave up after 1 attempt(s) within 1.5s)"
    )
    # Each of these says the API is unusable right now: the breaker counts it.
    assert boundary.breaker.snapshot().failures == 1
    assert Stats(state_dir()).read() == {
        "model_attempts": 1,
        "model_failures": 1,
        "model_budget_exhausted": 1,
    }


@pytest.mark.parametrize("status", [418, 499])
def test_other_client_statuses_are_client_errors(
    status: int, fake_anthropic: FakeAnthropic
) -> None:
    fake_anthropic.reply_error(status, message="no")
    boundary = boundary_for(fake_anthropic.url)
    with pytest.raises(ModelError) as info:
        call(boundary)
    assert info.value.kind == "client"
    assert not info.value.retryable
    assert str(info.value) == f"model API error {status}: no"
    assert len(fake_anthropic.requests) == 1
    # The API answered: this request was the problem, not the API.
    assert boundary.breaker.snapshot().failures == 0


def test_an_unreadable_retry_after_ms_falls_back_to_retry_after(
    fake_anthropic: FakeAnthropic,
) -> None:
    fake_anthropic.reply_error(429, headers={"retry-after-ms": "soon", "retry-after": "0.2"})
    fake_anthropic.reply_text("ok")
    sleeper = SleepRecorder()
    boundary = boundary_for(fake_anthropic.url, sleep=sleeper, rng=MaxRandom())
    assert response_text(call(boundary)) == "ok"
    assert sleeper.waits == [pytest.approx(0.2)]


def test_a_retry_after_of_zero_means_at_once(fake_anthropic: FakeAnthropic) -> None:
    fake_anthropic.reply_error(429, headers={"retry-after": "0"})
    fake_anthropic.reply_text("ok")
    sleeper = SleepRecorder()
    # MaxRandom: were the header ignored, the jitter would pick its top, base_s.
    boundary = boundary_for(fake_anthropic.url, sleep=sleeper, rng=MaxRandom())
    assert response_text(call(boundary)) == "ok"
    assert sleeper.waits == [0.0]


def test_an_http_date_retry_after_falls_back_to_backoff(fake_anthropic: FakeAnthropic) -> None:
    fake_anthropic.reply_error(429, headers={"retry-after": "Wed, 21 Oct 2026 07:28:00 GMT"})
    fake_anthropic.reply_text("ok")
    sleeper = SleepRecorder()
    boundary = boundary_for(fake_anthropic.url, sleep=sleeper, rng=MaxRandom())
    assert response_text(call(boundary)) == "ok"
    assert sleeper.waits == [FAST.base_s]


# -- exact messages, seams and edges ---------------------------------------------------


class FrozenClock:
    """A monotonic clock that stands still: budgets are then exact to the bit."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class NoSleep:
    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def test_a_timeout_says_so_exactly(fake_anthropic: FakeAnthropic) -> None:
    fake_anthropic.reply_text("too late", delay=5)
    with pytest.raises(ModelError) as info:
        call(boundary_for(fake_anthropic.url), budget_s=0.3)
    assert str(info.value) == (
        "the model API did not answer in time (gave up after 1 attempt(s) within 0.3s)"
    )


def test_a_connection_failure_names_its_cause() -> None:
    boundary = boundary_for(f"http://127.0.0.1:{closed_port()}", policy=RetryPolicy(max_attempts=1))
    with pytest.raises(ModelError) as info:
        call(boundary)
    # The socket's own words, not only the SDK's generic "Connection error."
    assert str(info.value).startswith("could not reach the model API: ")
    assert "refused" in str(info.value).lower()


def test_the_loading_timeout_is_its_own_message(fake_anthropic: FakeAnthropic) -> None:
    class SlowLoading(ModelBoundary):
        def _get_client(self) -> typing.Any:
            clock.now += 1.0  # loading the SDK took the whole budget
            return super()._get_client()

    clock = FrozenClock()
    config = ModelConfig(api_key="sk-test-key", base_url=fake_anthropic.url)
    boundary = SlowLoading(config, state_dir=state_dir(), clock=clock)
    with pytest.raises(ModelError) as info:
        call(boundary, budget_s=1.0)
    # No attempt was made, so no "gave up after" and no attempt counted.
    assert str(info.value) == "the time budget ran out while loading the model SDK"
    assert info.value.retryable
    assert Stats(state_dir()).read() == {"model_failures": 1, "model_budget_exhausted": 1}


def test_the_minimum_budget_left_after_loading_is_still_tried() -> None:
    # Exactly MIN_ATTEMPT_S left: one attempt is made (here refused at once).
    boundary = boundary_for(
        f"http://127.0.0.1:{closed_port()}", clock=FrozenClock(), policy=RetryPolicy(max_attempts=1)
    )
    with pytest.raises(ModelError) as info:
        call(boundary, budget_s=MIN_ATTEMPT_S)
    assert info.value.kind == "connection"
    assert Stats(state_dir()).get("model_attempts") == 1


def test_a_budget_below_the_minimum_is_refused_before_anything(
    fake_anthropic: FakeAnthropic,
) -> None:
    with pytest.raises(ModelError) as info:
        call(boundary_for(fake_anthropic.url), budget_s=0.04)
    assert str(info.value) == "a budget of 0.04s is too short for a model call"
    assert info.value.kind == "timeout"
    assert fake_anthropic.requests == []


def test_a_retry_after_that_exactly_fits_is_waited_for(fake_anthropic: FakeAnthropic) -> None:
    # The wait plus one minimal attempt ends exactly at the deadline: still worth it.
    fake_anthropic.reply_error(429, headers={"retry-after": "2"})
    fake_anthropic.reply_text("ok")
    sleeper = NoSleep()
    boundary = boundary_for(fake_anthropic.url, clock=FrozenClock(), sleep=sleeper)
    assert response_text(call(boundary, budget_s=2.0 + MIN_ATTEMPT_S)) == "ok"
    assert sleeper.waits == [2.0]


def test_unconfigured_says_how_to_configure(fake_anthropic: FakeAnthropic) -> None:
    config = ModelConfig(base_url=fake_anthropic.url)
    with pytest.raises(ModelError) as info:
        call(ModelBoundary(config, state_dir=state_dir()))
    assert str(info.value) == "no model API key: set ANTHROPIC_API_KEY (or unset MEMDIR_OFFLINE)"
    assert not info.value.retryable


def test_counts_go_to_the_stats_given(tmp_path: Path, fake_anthropic: FakeAnthropic) -> None:
    # The boundary and the breaker it builds both count into the Stats passed in.
    stats = Stats(tmp_path / "elsewhere")
    config = ModelConfig(api_key="sk-test-key", base_url=fake_anthropic.url)
    boundary = ModelBoundary(config, state_dir=tmp_path / "state", stats=stats, policy=FAST)
    for _ in range(3):
        fake_anthropic.reply_error(401)
        with pytest.raises(ModelError):
            call(boundary)
    assert stats.get("model_failures") == 3
    assert stats.get("breaker_opens") == 1
    assert Stats(tmp_path / "state").read() == {}


def test_an_api_key_wins_over_an_auth_token(fake_anthropic: FakeAnthropic) -> None:
    fake_anthropic.reply_text("ok")
    config = ModelConfig(api_key="sk-test-key", auth_token="tok-123", base_url=fake_anthropic.url)
    assert response_text(call(ModelBoundary(config, state_dir=state_dir()))) == "ok"
    assert fake_anthropic.requests[0].headers["authorization"] == "Bearer sk-test-key"


def test_the_default_base_url_is_the_public_api() -> None:
    boundary = ModelBoundary(ModelConfig(api_key="sk-test-key"), state_dir=state_dir())
    boundary.warm()
    assert boundary._client is not None
    assert str(boundary._client.base_url).rstrip("/") == "https://api.anthropic.com"


def test_response_text_joins_blocks_with_nothing_between(fake_anthropic: FakeAnthropic) -> None:
    blocks = [{"type": "text", "text": "one "}, {"type": "text", "text": "two"}]
    fake_anthropic.reply_json(fake_anthropic.message_body(blocks, stop_reason="end_turn"))
    assert response_text(call(boundary_for(fake_anthropic.url))) == "one two"


def test_an_unusable_answer_from_the_sdk_is_not_retried(fake_anthropic: FakeAnthropic) -> None:
    # A bare APIError (the SDK's own "could not read the answer" family) is neither a
    # status nor a transport failure: kind "error", no retry, no verdict against the API.
    import anthropic

    error = anthropic.APIError(
        "the answer could not be read", typing.cast(typing.Any, None), body=None
    )

    class Refusing:
        def __init__(self) -> None:
            self.calls = 0
            self.messages = self

        def create(self, **params: typing.Any) -> typing.Any:
            self.calls += 1
            raise error

    client = Refusing()

    class Stubbed(ModelBoundary):
        def _get_client(self) -> typing.Any:
            return client

    config = ModelConfig(api_key="sk-test-key", base_url=fake_anthropic.url)
    boundary = Stubbed(config, state_dir=state_dir(), policy=FAST)
    with pytest.raises(ModelError) as info:
        call(boundary)
    assert info.value.kind == "error"
    assert info.value.retryable is False
    assert str(info.value) == f"the model API returned something unusable: {error}"
    assert client.calls == 1
    assert boundary.breaker.snapshot().failures == 0


def test_an_unwritable_breaker_does_not_lose_the_answer(fake_anthropic: FakeAnthropic) -> None:
    breaker = CircuitBreaker(state_dir())
    breaker.path.mkdir(parents=True)  # a folder where the state file should be
    fake_anthropic.reply_error(401)
    fake_anthropic.reply_text("answered")
    boundary = boundary_for(fake_anthropic.url, breaker=breaker)
    with pytest.raises(ModelError) as info:
        call(boundary)
    assert info.value.kind == "auth"  # not the breaker's write error
    assert response_text(call(boundary)) == "answered"


def test_a_busy_breaker_does_not_lose_the_answer(fake_anthropic: FakeAnthropic) -> None:
    from memdir.fsio import try_lock

    breaker = CircuitBreaker(state_dir())
    breaker.record_failure(breaker.acquire())  # so a success has something to reset
    fake_anthropic.reply_text("answered")
    boundary = boundary_for(fake_anthropic.url, breaker=breaker)
    held = try_lock(breaker.path.with_name(f".{breaker.path.name}.lock"))
    assert held is not None
    try:
        # Recording the success waits for the lock, gives up, and drops the update.
        assert response_text(call(boundary)) == "answered"
    finally:
        held.release()
    assert breaker.snapshot().failures == 1
