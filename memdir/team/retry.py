"""Bounded retry for talking to a team remote: full-jitter backoff inside a time budget.

One policy in one place (the seed's bounded retry): a failure that may pass (the network,
a push that lost a race) is tried again after a random sleep between zero and an
exponentially growing cap, until the budget is spent; a failure that cannot pass
(authentication, a remote that does not exist) is raised at once.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from ..errors import TeamSyncError

T = TypeVar("T")

#: A sync from the command line waits at most this long for the remote.
DEFAULT_BUDGET_S = 30.0


@dataclass(slots=True)
class RetryPolicy:
    """Full-jitter exponential backoff: sleep ``uniform(0, min(cap, base * 2**n))``."""

    budget_s: float = DEFAULT_BUDGET_S
    base_s: float = 0.05
    cap_s: float = 2.0
    rng: random.Random = field(default_factory=random.Random)
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic

    def backoff(self, attempt: int) -> float:
        """The sleep before retry number `attempt` (0-based)."""
        return self.rng.uniform(0.0, min(self.cap_s, self.base_s * 2**attempt))


@dataclass(slots=True)
class RetryLog:
    """What a retried call went through, for status and the benchmark."""

    attempts: int = 0
    retried: list[str] = field(default_factory=list)
    exhausted: bool = False


def with_retry(op: Callable[[], T], policy: RetryPolicy, log: RetryLog | None = None) -> T:
    """Run `op`, retrying retryable `TeamSyncError`s with backoff until the budget is spent.

    Raises:
        TeamSyncError: a failure that is not retryable (at once), or the last retryable
            one when the budget ran out (with ``exhausted`` set on `log`).
    """
    log = log if log is not None else RetryLog()
    deadline = policy.clock() + policy.budget_s
    attempt = 0
    while True:
        log.attempts += 1
        try:
            return op()
        except TeamSyncError as exc:
            if not exc.retryable:
                raise
            pause = policy.backoff(attempt)
            if policy.clock() + pause >= deadline:
                log.exhausted = True
                raise
            log.retried.append(exc.kind)
            policy.sleep(pause)
            attempt += 1
