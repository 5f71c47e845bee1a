"""A circuit breaker for the model API, shared by every memdir process on the machine.

    closed ──3 consecutive failed calls──▶ open ──cool-down──▶ half-open
      ▲                                    ▲                     │ one probe call
      └───────────── probe succeeds ───────┼─────────────────────┤
                                           └─── probe fails ─────┘

State lives in ``<state dir>/breaker.json`` so hooks (one process per turn) see what
earlier turns learned: once the API is dead, a turn pays nothing for it until the
cool-down ends. While half-open exactly one caller, in any process, gets the probe;
everyone else is refused as if the breaker were open.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from ..errors import CircuitOpenError, LockTimeoutError, StoreIOError
from ..stats import Stats, _JsonFile

BREAKER_FILE = "breaker.json"
DEFAULT_THRESHOLD = 3
DEFAULT_COOLDOWN_S = 30.0
#: A probe whose process died never reports back; after this long another caller may probe.
DEFAULT_PROBE_LEASE_S = 60.0

#: Seconds since the epoch. Wall time, not monotonic, because several processes compare it.
Clock = Callable[[], float]


class BreakerState(StrEnum):
    """Where the breaker stands."""

    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


@dataclass(frozen=True, slots=True)
class BreakerSnapshot:
    """The breaker as seen at one moment (for `memory stats` and tests)."""

    state: BreakerState
    failures: int
    opened_at: float | None
    retry_in_s: float
    probe_in_flight: bool


@dataclass(frozen=True, slots=True)
class Permit:
    """Leave to make one call; hand it back through exactly one `record_*` or `release`."""

    probe: bool = False
    token: str | None = None


class CircuitBreaker:
    """Closed → open after `threshold` consecutive failures → half-open after `cooldown_s`."""

    def __init__(
        self,
        state_dir: Path,
        *,
        threshold: int = DEFAULT_THRESHOLD,
        cooldown_s: float = DEFAULT_COOLDOWN_S,
        probe_lease_s: float = DEFAULT_PROBE_LEASE_S,
        clock: Clock = time.time,
        stats: Stats | None = None,
    ) -> None:
        if threshold < 1:
            raise ValueError("threshold must be at least 1")
        self._file = _JsonFile(Path(state_dir) / BREAKER_FILE)
        self.threshold = threshold
        self.cooldown_s = cooldown_s
        self.probe_lease_s = probe_lease_s
        self._clock = clock
        self._stats = stats if stats is not None else Stats(Path(state_dir))

    @property
    def path(self) -> Path:
        """The JSON file holding the shared state."""
        return self._file.path

    def acquire(self) -> Permit:
        """Leave to call the API, or a refusal.

        Raises:
            CircuitOpenError: the breaker is open, or half-open with a probe in flight.
        """
        # The common case (closed) costs one small read and no lock.
        data = self._file.read()
        if data.get("opened_at") is None:
            return Permit()
        self._refuse_if_cooling(data)
        try:
            with self._file.update() as data:
                if data.get("opened_at") is None:
                    return Permit()
                self._refuse_if_cooling(data)
                now = self._clock()
                if self._probe_running(data, now):
                    raise _probing()
                token = os.urandom(16).hex()
                data["probe_token"] = token
                data["probe_started"] = now
                return Permit(probe=True, token=token)
        except (LockTimeoutError, StoreIOError) as exc:
            # The breaker is open or half-open and its state is busy or unwritable:
            # refusing is the cautious answer, and costs one offline turn at most.
            raise _probing() from exc

    def record_success(self, permit: Permit) -> None:
        """The API answered: close the breaker and forget earlier failures."""
        data = self._file.read()
        if data.get("opened_at") is None and not data.get("failures"):
            return
        with self._file.update() as data:
            data["failures"] = 0
            data["opened_at"] = None
            _clear_probe(data)

    def record_failure(self, permit: Permit) -> None:
        """A call failed in a way that says the API is unusable; maybe open the breaker."""
        opened = False
        with self._file.update() as data:
            failures = _int(data.get("failures")) + 1
            data["failures"] = failures
            was_closed = data.get("opened_at") is None
            if permit.probe or (was_closed and failures >= self.threshold):
                data["opened_at"] = self._clock()
                _clear_probe(data)
                opened = True
        if opened:
            self._stats.bump(breaker_opens=1)

    def release(self, permit: Permit) -> None:
        """The call ended without telling us anything about the API; free the probe slot."""
        if not permit.probe:
            return
        with self._file.update() as data:
            if data.get("probe_token") == permit.token:
                _clear_probe(data)

    def snapshot(self) -> BreakerSnapshot:
        """The current state, read without the lock."""
        data = self._file.read()
        now = self._clock()
        opened_at = data.get("opened_at")
        failures = _int(data.get("failures"))
        if not isinstance(opened_at, int | float):
            return BreakerSnapshot(BreakerState.CLOSED, failures, None, 0.0, False)
        retry_in = self._cooling_left(float(opened_at), now)
        state = BreakerState.OPEN if retry_in > 0 else BreakerState.HALF_OPEN
        return BreakerSnapshot(
            state=state,
            failures=failures,
            opened_at=float(opened_at),
            retry_in_s=retry_in,
            probe_in_flight=self._probe_running(data, now),
        )

    def reset(self) -> None:
        """Close the breaker by hand (after fixing a key, for instance)."""
        with self._file.update() as data:
            data.clear()

    def _refuse_if_cooling(self, data: dict[str, Any]) -> None:
        opened_at = data.get("opened_at")
        if not isinstance(opened_at, int | float):
            return
        left = self._cooling_left(float(opened_at), self._clock())
        if left > 0:
            raise CircuitOpenError(
                f"the model API failed {_int(data.get('failures'))} times in a row; "
                f"memdir will try it again in {left:.0f}s",
                kind="circuit_open",
                retryable=True,
            )

    def _cooling_left(self, opened_at: float, now: float) -> float:
        # Trigger: the wall clock stepped back (NTP, suspend/resume) past opened_at.
        # Why: `opened_at` would then sit in the future and keep the breaker open for as
        # long as the step was. Outcome: treat the cool-down as over and allow a probe.
        if now < opened_at:
            return 0.0
        return max(0.0, opened_at + self.cooldown_s - now)

    def _probe_running(self, data: dict[str, Any], now: float) -> bool:
        started = data.get("probe_started")
        if not data.get("probe_token") or not isinstance(started, int | float):
            return False
        return 0 <= now - started < self.probe_lease_s


def _probing() -> CircuitOpenError:
    return CircuitOpenError(
        "the model API is being probed by another call; not calling it now",
        kind="circuit_open",
        retryable=True,
    )


def _clear_probe(data: dict[str, Any]) -> None:
    data.pop("probe_token", None)
    data.pop("probe_started", None)


def _int(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0
