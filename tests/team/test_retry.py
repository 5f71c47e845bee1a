"""Bounded retry: full jitter, a time budget, and no retry for what cannot pass."""

from __future__ import annotations

import random

import pytest

from memdir.errors import TeamSyncError
from memdir.team.retry import RetryLog, RetryPolicy, with_retry


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def _policy(clock: FakeClock, budget: float = 5.0) -> RetryPolicy:
    return RetryPolicy(
        budget_s=budget, base_s=0.1, cap_s=1.0, rng=random.Random(7), sleep=clock.sleep,
        clock=clock,
    )  # fmt: skip


def test_network_errors_are_retried_until_success() -> None:
    clock = FakeClock()
    calls = []

    def op() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise TeamSyncError("down", kind="network", retryable=True)
        return "ok"

    log = RetryLog()
    assert with_retry(op, _policy(clock), log) == "ok"
    assert log.attempts == 3 and log.retried == ["network", "network"]
    assert all(0 <= s <= 0.1 * 2**i for i, s in enumerate(clock.sleeps))


@pytest.mark.parametrize("kind", ["auth", "missing-remote", "held"])
def test_permanent_errors_are_not_retried(kind: str) -> None:
    clock = FakeClock()
    log = RetryLog()

    def op() -> None:
        raise TeamSyncError("no", kind=kind)

    with pytest.raises(TeamSyncError):
        with_retry(op, _policy(clock), log)
    assert log.attempts == 1 and clock.sleeps == []


def test_budget_runs_out() -> None:
    clock = FakeClock()
    log = RetryLog()

    def op() -> None:
        clock.now += 0.5
        raise TeamSyncError("down", kind="network", retryable=True)

    with pytest.raises(TeamSyncError):
        with_retry(op, _policy(clock, budget=3.0), log)
    assert log.exhausted
    assert clock.now <= 3.0 + 0.5
    assert 2 <= log.attempts <= 7


def test_backoff_is_full_jitter_and_capped() -> None:
    policy = RetryPolicy(base_s=0.1, cap_s=1.0, rng=random.Random(1))
    draws = [policy.backoff(10) for _ in range(200)]
    assert max(draws) <= 1.0
    assert min(draws) < 0.1  # full jitter reaches down to zero, not half the cap
