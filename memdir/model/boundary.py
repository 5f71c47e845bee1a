"""The one boundary every model call goes through.

The SDK's own retries are off (``max_retries=0``). Instead each call gets a time budget:
attempts are retried with full-jitter backoff while the budget lasts, each attempt's
timeout is whatever budget is left, and nothing ever sleeps past the end of it. Errors are
classified by SDK exception class into `ModelError` kinds. A shared circuit breaker
(`memdir.model.breaker`) stops calls altogether once the API has failed three calls in a row.

Importing this module does not import ``anthropic`` (about a second): the SDK is loaded
the first time a request is actually sent.
"""

from __future__ import annotations

import contextlib
import json
import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from ..errors import CircuitOpenError, LockTimeoutError, ModelError, StoreIOError
from ..stats import Stats
from .breaker import CircuitBreaker, Permit
from .config import ModelConfig

__all__ = [
    "MIN_ATTEMPT_S",
    "MessageCreator",
    "ModelBoundary",
    "RetryPolicy",
    "response_text",
]

if TYPE_CHECKING:
    import anthropic
    from anthropic.types import Message


#: Do not start an attempt (or sleep towards one) with less budget than this left.
MIN_ATTEMPT_S = 0.05

#: Kinds that mean "the API is unusable for us right now"; they feed the circuit breaker.
#: Kinds that blame this one request (bad_request, too_large, unprocessable, client) do
#: not: the API answered, which is evidence that it is up.
BREAKER_KINDS = frozenset(
    {
        "timeout",
        "connection",
        "overloaded",
        "server",
        "rate_limited",
        "conflict",
        "auth",
        "permission",
        "billing",
        "spend_limit",
        "not_found",
    }
)

_SPEND_LIMIT_CODES = {"contract_spend_limit_reached", "enforced_spend_limit_reached"}


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Full-jitter exponential backoff: sleep uniform(0, min(cap, base * 2**retry))."""

    base_s: float = 0.25
    cap_s: float = 2.0
    max_attempts: int = 4


class MessageCreator(Protocol):
    """The seam the selector and extractor depend on; tests pass in-process fakes."""

    def create_message(self, *, budget_s: float, **params: Any) -> Message:
        """Send one Messages API request within `budget_s` seconds, retries included."""
        ...


@dataclass(frozen=True, slots=True)
class _Failure:
    kind: str
    retryable: bool
    message: str
    retry_after_s: float | None = None


#: No request was sent: the whole budget went on loading the SDK. Not a verdict on the API.
_SPENT_LOADING = _Failure("timeout", True, "the time budget ran out while loading the model SDK")

_UNUSABLE = "the model API returned something unusable"


class ModelBoundary:
    """Bounded retry, error classification, circuit breaker and counters around the SDK."""

    def __init__(
        self,
        config: ModelConfig,
        *,
        state_dir: Path,
        breaker: CircuitBreaker | None = None,
        stats: Stats | None = None,
        policy: RetryPolicy | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self.config = config
        self.stats = stats if stats is not None else Stats(state_dir)
        self.breaker = (
            breaker if breaker is not None else CircuitBreaker(state_dir, stats=self.stats)
        )
        self.policy = policy or RetryPolicy()
        self._clock = clock
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._client: anthropic.Anthropic | None = None
        self._client_lock = threading.Lock()

    def create_message(self, *, budget_s: float, **params: Any) -> Message:
        """Call ``messages.create(**params)``, retrying within `budget_s` seconds.

        `model` defaults to the configured one. `timeout`, `stream` and `max_retries`
        are not accepted: the budget sets the timeouts and this class does the retrying.

        Raises:
            CircuitOpenError: the breaker refused; no request was sent.
            ModelError: not configured, a non-retryable error, or the budget ran out.
        """
        for name in ("timeout", "stream", "max_retries"):
            if name in params:
                raise TypeError(f"create_message() does not accept {name!r}")
        if not self.config.configured:
            raise ModelError(
                "no model API key: set ANTHROPIC_API_KEY (or unset MEMDIR_OFFLINE)",
                kind="not_configured",
            )
        if budget_s < MIN_ATTEMPT_S:
            raise ModelError(
                f"a budget of {budget_s:g}s is too short for a model call", kind="timeout"
            )
        params.setdefault("model", self.config.model)
        # The budget covers everything from here on: the breaker's lock, and loading the
        # SDK on a process's first call (a second or more on a busy machine).
        deadline = self._clock() + budget_s
        try:
            permit = self.breaker.acquire()
        except CircuitOpenError:
            self.stats.bump(model_calls_refused=1)
            raise
        try:
            result, attempts = self._retry_loop(params, deadline=deadline)
        except BaseException:
            # A bug or an interrupt, not a verdict on the API: hand the probe slot back.
            self._settle(self.breaker.release, permit)
            raise
        if not isinstance(result, _Failure):
            self._settle(self.breaker.record_success, permit)
            self.stats.bump(model_attempts=attempts, model_retries=attempts - 1, model_calls_ok=1)
            return result
        if result is _SPENT_LOADING:
            self._settle(self.breaker.release, permit)
        elif result.kind in BREAKER_KINDS:
            self._settle(self.breaker.record_failure, permit)
        else:
            self._settle(self.breaker.record_success, permit)
        self.stats.bump(
            model_attempts=attempts,
            model_retries=max(attempts - 1, 0),
            model_failures=1,
            model_budget_exhausted=int(result.retryable),
        )
        text = result.message
        if result.retryable and attempts:
            text += f" (gave up after {attempts} attempt(s) within {budget_s:g}s)"
        raise ModelError(text, kind=result.kind, retryable=result.retryable)

    @staticmethod
    def _settle(record: Callable[[Permit], None], permit: Permit) -> None:
        # Trigger: the breaker's state file is locked too long or cannot be written.
        # Why: the call itself is over; losing its answer (or masking the exception in
        # flight) over bookkeeping would be worse than one missed breaker update.
        # Outcome: the update is dropped; the next call records again.
        with contextlib.suppress(LockTimeoutError, StoreIOError):
            record(permit)

    def _retry_loop(
        self, params: dict[str, Any], *, deadline: float
    ) -> tuple[Message | _Failure, int]:
        """The response or the last failure, and how many attempts were made."""
        client = self._get_client()
        if deadline - self._clock() < MIN_ATTEMPT_S:
            return _SPENT_LOADING, 0
        attempts = 0
        while True:
            attempts += 1
            # A sleep may overrun by a few milliseconds; never pass the SDK a timeout <= 0.
            timeout = max(deadline - self._clock(), MIN_ATTEMPT_S)
            try:
                message: Message = client.messages.create(**params, timeout=timeout)
            except Exception as exc:
                failure = _classify(exc)
                if failure is None:
                    raise
                wait = None
                if attempts < self.policy.max_attempts:
                    wait = self._next_wait(failure, retry=attempts - 1, deadline=deadline)
                if wait is None:
                    return failure, attempts
                self._sleep(wait)
                continue
            if isinstance(getattr(message, "content", None), list):
                return message, attempts
            # Trigger: a 200 whose body is not a message (a proxy's page as text/plain, a
            # JSON object of another shape). Why: the SDK hands those back as a string or
            # an empty model, and every caller would fail reading it. Outcome: a failure
            # of kind "error", like any other unusable answer; not retried.
            return _Failure("error", False, f"{_UNUSABLE}: a reply that is not a message"), attempts

    def _next_wait(self, failure: _Failure, *, retry: int, deadline: float) -> float | None:
        """Seconds to sleep before the next attempt, or None when we must stop now.

        A ``retry-after`` header (sent with 429, sometimes with 529/503) is obeyed
        exactly; when it reaches past the budget we stop at once instead of sleeping
        towards a deadline we cannot meet.
        """
        if not failure.retryable:
            return None
        if failure.retry_after_s is not None:
            # The server said when to come back: wait exactly that long, or not at all.
            wait = failure.retry_after_s
        else:
            ceiling = min(self.policy.cap_s, self.policy.base_s * 2**retry)
            wait = self._rng.uniform(0, ceiling)
        if self._clock() + wait + MIN_ATTEMPT_S > deadline:
            return None
        return wait

    def warm(self) -> None:
        """Load the SDK and build the client now, so a first call's budget goes to the request.

        Worth calling in long-lived processes (daemon, MCP server) right after start-up.
        """
        if self.config.configured:
            self._get_client()

    def _get_client(self) -> anthropic.Anthropic:
        with self._client_lock:
            if self._client is None:
                import anthropic

                # Exactly one credential: the SDK refuses api_key and auth_token together.
                api_key = self.config.api_key
                self._client = anthropic.Anthropic(
                    api_key=api_key,
                    auth_token=None if api_key else self.config.auth_token,
                    base_url=self.config.base_url or "https://api.anthropic.com",
                    # No client-wide timeout: every request passes its own, from its budget.
                    max_retries=0,
                )
            return self._client


def _classify(exc: BaseException) -> _Failure | None:
    """Map an exception from one attempt to a failure kind; None for anything not ours."""
    import anthropic

    if isinstance(exc, anthropic.APITimeoutError):
        return _Failure("timeout", True, "the model API did not answer in time")
    if isinstance(exc, anthropic.APIConnectionError):
        cause = exc.__cause__ or exc
        return _Failure("connection", True, f"could not reach the model API: {cause}")
    if isinstance(exc, anthropic.APIStatusError):
        return _classify_status(exc)
    if isinstance(exc, anthropic.APIError):
        return _Failure("error", False, f"{_UNUSABLE}: {exc}")
    if isinstance(exc, json.JSONDecodeError):
        # A 200 declared as JSON whose body is not: the SDK's parsing raises this.
        return _Failure("error", False, f"{_UNUSABLE}: a body that is not JSON ({exc})")
    return None


def _classify_status(exc: anthropic.APIStatusError) -> _Failure:
    import anthropic

    status = exc.status_code
    said = exc.api_message or exc.message
    what = f"model API error {status}: {said}"
    kind, retryable = "client", False
    if isinstance(exc, anthropic.RateLimitError):
        if exc.error_code in _SPEND_LIMIT_CODES:
            kind = "spend_limit"
        else:
            kind, retryable = "rate_limited", True
    elif isinstance(exc, anthropic.OverloadedError):
        kind, retryable = "overloaded", True
    elif status >= 500:  # InternalServerError and its subclasses, or a status it lacks
        kind, retryable = "server", True
    elif isinstance(exc, anthropic.RequestTimeoutError):
        kind, retryable = "timeout", True
    elif isinstance(exc, anthropic.ConflictError):
        kind, retryable = "conflict", True
    elif isinstance(exc, anthropic.AuthenticationError):
        kind, what = "auth", f"{what} (check ANTHROPIC_API_KEY)"
    elif isinstance(exc, anthropic.PermissionDeniedError):
        kind = "permission"
    elif isinstance(exc, anthropic.PaymentRequiredError):
        kind = "billing"
    elif isinstance(exc, anthropic.NotFoundError):
        kind, what = "not_found", f"{what} (check MEMDIR_MODEL and ANTHROPIC_BASE_URL)"
    elif isinstance(exc, anthropic.BadRequestError):
        kind = "bad_request"
    elif isinstance(exc, anthropic.ContentTooLargeError):
        kind = "too_large"
    elif isinstance(exc, anthropic.UnprocessableEntityError):
        kind = "unprocessable"
    # The API's own verdict on retrying wins over our table when it gives one.
    if exc.response.headers.get("x-should-retry") == "false":
        retryable = False
    # Read only when retryable (`_next_wait` stops first otherwise).
    return _Failure(kind, retryable, what, _retry_after_s(exc.response.headers))


def _retry_after_s(headers: Mapping[str, str]) -> float | None:
    """``retry-after-ms`` (more precise) else ``retry-after`` in seconds; None if absent."""
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        raw = headers.get(name)
        if raw is None:
            continue
        try:
            value = float(raw) * scale
        except ValueError:
            continue  # An HTTP date: rare from this API, and back-off covers it.
        if value >= 0:
            return value
    return None


def response_text(message: Message) -> str:
    """The text of every text block in `message`, joined in order."""
    return "".join(block.text for block in message.content if block.type == "text")
