"""The shared circuit breaker, with an injected clock (and one real second process)."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from memdir.errors import CircuitOpenError, ModelError
from memdir.model.breaker import BreakerSnapshot, BreakerState, CircuitBreaker, Permit
from memdir.stats import Stats

ROOT = Path(__file__).resolve().parents[2]


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def breaker(tmp_path: Path, clock: Clock) -> CircuitBreaker:
    return CircuitBreaker(tmp_path / "state", cooldown_s=30, clock=clock)


def fail(breaker: CircuitBreaker, times: int = 1) -> None:
    for _ in range(times):
        breaker.record_failure(breaker.acquire())


def test_starts_closed(breaker: CircuitBreaker) -> None:
    permit = breaker.acquire()
    assert permit == Permit(probe=False)
    assert breaker.snapshot().state is BreakerState.CLOSED
    # Reading a closed breaker writes nothing.
    assert not breaker.path.exists()


def test_opens_after_three_consecutive_failures(breaker: CircuitBreaker) -> None:
    fail(breaker, 2)
    assert breaker.snapshot().state is BreakerState.CLOSED
    breaker.acquire()
    fail(breaker, 1)
    snap = breaker.snapshot()
    assert snap.state is BreakerState.OPEN
    assert snap.failures == 3
    assert snap.retry_in_s == pytest.approx(30)
    with pytest.raises(CircuitOpenError) as info:
        breaker.acquire()
    assert isinstance(info.value, ModelError)
    assert info.value.kind == "circuit_open"
    assert "3 times in a row" in str(info.value)


def test_success_resets_the_count(breaker: CircuitBreaker) -> None:
    fail(breaker, 2)
    breaker.record_success(breaker.acquire())
    fail(breaker, 2)
    assert breaker.snapshot().state is BreakerState.CLOSED
    assert breaker.snapshot().failures == 2


def test_threshold_is_configurable(tmp_path: Path, clock: Clock) -> None:
    breaker = CircuitBreaker(tmp_path, threshold=1, clock=clock)
    fail(breaker)
    assert breaker.snapshot().state is BreakerState.OPEN
    with pytest.raises(ValueError):
        CircuitBreaker(tmp_path, threshold=0)


def test_half_open_lets_exactly_one_probe(breaker: CircuitBreaker, clock: Clock) -> None:
    fail(breaker, 3)
    clock.now += 29.9
    with pytest.raises(CircuitOpenError):
        breaker.acquire()
    clock.now += 0.2
    assert breaker.snapshot().state is BreakerState.HALF_OPEN

    probe = breaker.acquire()
    assert probe.probe and probe.token
    assert breaker.snapshot().probe_in_flight
    with pytest.raises(CircuitOpenError, match="probed"):
        breaker.acquire()


def test_probe_success_closes(breaker: CircuitBreaker, clock: Clock) -> None:
    fail(breaker, 3)
    clock.now += 31
    breaker.record_success(breaker.acquire())
    snap = breaker.snapshot()
    assert snap.state is BreakerState.CLOSED
    assert snap.failures == 0
    assert breaker.acquire() == Permit()


def test_probe_failure_reopens_for_a_full_cool_down(breaker: CircuitBreaker, clock: Clock) -> None:
    fail(breaker, 3)
    clock.now += 31
    breaker.record_failure(breaker.acquire())
    assert breaker.snapshot().state is BreakerState.OPEN
    clock.now += 29
    with pytest.raises(CircuitOpenError):
        breaker.acquire()
    clock.now += 2
    assert breaker.acquire().probe


def test_released_probe_frees_the_slot(breaker: CircuitBreaker, clock: Clock) -> None:
    fail(breaker, 3)
    clock.now += 31
    breaker.release(breaker.acquire())
    assert breaker.snapshot().state is BreakerState.HALF_OPEN
    assert breaker.acquire().probe


def test_stale_probe_lease_expires(tmp_path: Path, clock: Clock) -> None:
    breaker = CircuitBreaker(tmp_path, cooldown_s=30, probe_lease_s=60, clock=clock)
    fail(breaker, 3)
    clock.now += 31
    lost = breaker.acquire()  # Its process dies and never reports back.
    clock.now += 59
    with pytest.raises(CircuitOpenError):
        breaker.acquire()
    clock.now += 2
    second = breaker.acquire()
    assert second.probe and second.token != lost.token
    # The stale permit cannot free the new probe's slot.
    breaker.release(lost)
    assert breaker.snapshot().probe_in_flight


def test_clock_stepping_back_does_not_hold_it_open(breaker: CircuitBreaker, clock: Clock) -> None:
    fail(breaker, 3)
    clock.now -= 3600
    assert breaker.acquire().probe


def test_opens_are_counted(tmp_path: Path, clock: Clock) -> None:
    stats = Stats(tmp_path)
    breaker = CircuitBreaker(tmp_path, cooldown_s=30, clock=clock, stats=stats)
    fail(breaker, 3)
    assert stats.get("breaker_opens") == 1
    clock.now += 31
    fail(breaker, 1)  # failed probe: a second transition into open
    assert stats.get("breaker_opens") == 2


def test_state_is_shared_between_instances(tmp_path: Path, clock: Clock) -> None:
    one = CircuitBreaker(tmp_path, clock=clock)
    two = CircuitBreaker(tmp_path, clock=clock)
    fail(one, 2)
    fail(two, 1)
    with pytest.raises(CircuitOpenError):
        one.acquire()


def test_reset_closes(breaker: CircuitBreaker) -> None:
    fail(breaker, 3)
    breaker.reset()
    assert breaker.snapshot().state is BreakerState.CLOSED
    assert breaker.acquire() == Permit()


def test_damaged_state_file_counts_as_closed(breaker: CircuitBreaker) -> None:
    breaker.path.parent.mkdir(parents=True, exist_ok=True)
    breaker.path.write_text("{not json", encoding="utf-8")
    assert breaker.acquire() == Permit()
    fail(breaker, 1)
    assert json.loads(breaker.path.read_text(encoding="utf-8"))["failures"] == 1


def test_threads_race_for_the_probe(breaker: CircuitBreaker, clock: Clock) -> None:
    fail(breaker, 3)
    clock.now += 31
    start = threading.Barrier(8)
    probes: list[Permit] = []
    refused: list[CircuitOpenError] = []

    def contend() -> None:
        start.wait()
        try:
            probes.append(breaker.acquire())
        except CircuitOpenError as exc:
            refused.append(exc)

    threads = [threading.Thread(target=contend) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(probes) == 1 and probes[0].probe
    assert len(refused) == 7


_CHILD = """
import sys
from pathlib import Path
from memdir.model.breaker import CircuitBreaker
from memdir.errors import CircuitOpenError
breaker = CircuitBreaker(Path(sys.argv[1]), cooldown_s=float(sys.argv[2]))
try:
    permit = breaker.acquire()
except CircuitOpenError:
    print("refused")
else:
    print("probe" if permit.probe else "allowed")
    breaker.release(permit)
"""


def child_acquire(state: Path, cooldown_s: float) -> str:
    result = subprocess.run(
        [sys.executable, "-c", _CHILD, str(state), str(cooldown_s)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_another_process_sees_open_and_probe(tmp_path: Path) -> None:
    breaker = CircuitBreaker(tmp_path, cooldown_s=0.3)
    assert child_acquire(tmp_path, cooldown_s=60) == "allowed"
    fail(breaker, 3)
    assert child_acquire(tmp_path, cooldown_s=60) == "refused"

    time.sleep(0.35)
    probe = breaker.acquire()
    assert probe.probe
    # The cool-down is over for the other process too, but this one holds the probe.
    assert child_acquire(tmp_path, cooldown_s=0.3) == "refused"
    breaker.record_success(probe)
    assert child_acquire(tmp_path, cooldown_s=0.3) == "allowed"


# -- exact refusals, the shared file's contents, and the edges of each interval ---------


def state(breaker: CircuitBreaker) -> dict[str, object]:
    loaded: dict[str, object] = json.loads(breaker.path.read_text(encoding="utf-8"))
    return loaded


def write_state(breaker: CircuitBreaker, data: dict[str, object]) -> None:
    breaker.path.parent.mkdir(parents=True, exist_ok=True)
    breaker.path.write_text(json.dumps(data), encoding="utf-8")


def test_an_open_refusal_says_why_and_may_be_retried(breaker: CircuitBreaker) -> None:
    fail(breaker, 3)
    with pytest.raises(CircuitOpenError) as info:
        breaker.acquire()
    assert str(info.value) == (
        "the model API failed 3 times in a row; memdir will try it again in 30s"
    )
    assert info.value.kind == "circuit_open"
    assert info.value.retryable is True


def test_a_refusal_during_a_probe_says_so_and_may_be_retried(
    breaker: CircuitBreaker, clock: Clock
) -> None:
    fail(breaker, 3)
    clock.now += 31
    breaker.acquire()
    with pytest.raises(CircuitOpenError) as info:
        breaker.acquire()
    assert str(info.value) == "the model API is being probed by another call; not calling it now"
    assert info.value.kind == "circuit_open"
    assert info.value.retryable is True


def test_a_threshold_below_one_is_refused_with_a_message(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="^threshold must be at least 1$"):
        CircuitBreaker(tmp_path, threshold=0)


def test_opens_are_counted_in_the_stats_given(tmp_path: Path, clock: Clock) -> None:
    # Stats kept elsewhere than the breaker's own state folder receive the count.
    stats = Stats(tmp_path / "elsewhere")
    breaker = CircuitBreaker(tmp_path / "state", clock=clock, stats=stats)
    fail(breaker, 3)
    assert stats.get("breaker_opens") == 1
    assert Stats(tmp_path / "state").get("breaker_opens") == 0


def test_a_closed_breaker_snapshot_is_exact(breaker: CircuitBreaker) -> None:
    fail(breaker, 1)
    snap = breaker.snapshot()
    assert snap == BreakerSnapshot(BreakerState.CLOSED, 1, None, 0.0, False)
    assert isinstance(snap.retry_in_s, float)


def test_an_open_breaker_snapshot_is_exact(breaker: CircuitBreaker, clock: Clock) -> None:
    opened = clock.now
    fail(breaker, 3)
    clock.now += 29.5
    snap = breaker.snapshot()
    # Half a second of cool-down left (exact in binary): still open, not half-open.
    assert snap == BreakerSnapshot(BreakerState.OPEN, 3, opened, 0.5, False)
    clock.now += 0.5
    assert breaker.snapshot().state is BreakerState.HALF_OPEN


def test_a_settled_probe_leaves_no_lease_in_the_file(breaker: CircuitBreaker, clock: Clock) -> None:
    fail(breaker, 3)
    opened = clock.now
    clock.now += 31
    breaker.release(breaker.acquire())
    assert state(breaker) == {"failures": 3, "opened_at": opened}

    breaker.record_failure(breaker.acquire())
    assert state(breaker) == {"failures": 4, "opened_at": clock.now}

    clock.now += 31
    breaker.record_success(breaker.acquire())
    assert state(breaker) == {"failures": 0, "opened_at": None}


def test_success_on_a_clean_closed_breaker_writes_nothing(breaker: CircuitBreaker) -> None:
    breaker.record_success(breaker.acquire())
    assert not breaker.path.exists()


def test_a_probe_success_closes_even_without_a_failure_count(
    breaker: CircuitBreaker, clock: Clock
) -> None:
    # A state file that says "open" but carries no count (edited by hand, or written by
    # a future version): the probe's success must still close the breaker.
    write_state(breaker, {"opened_at": clock.now - 100})
    probe = breaker.acquire()
    assert probe.probe
    breaker.record_success(probe)
    assert breaker.snapshot().state is BreakerState.CLOSED
    assert breaker.acquire() == Permit()


def test_a_late_failure_does_not_restart_the_cool_down(tmp_path: Path, clock: Clock) -> None:
    # Four calls start while the breaker is closed; three fail and open it; the fourth
    # fails later. The breaker was already open: the cool-down keeps its start and no
    # second opening is counted.
    stats = Stats(tmp_path / "stats")
    breaker = CircuitBreaker(tmp_path / "state", cooldown_s=30, clock=clock, stats=stats)
    permits = [breaker.acquire() for _ in range(4)]
    opened = clock.now
    for permit in permits[:3]:
        breaker.record_failure(permit)
    clock.now += 10
    breaker.record_failure(permits[3])
    snap = breaker.snapshot()
    assert snap.opened_at == opened
    assert snap.failures == 4
    assert snap.retry_in_s == pytest.approx(20)
    assert stats.get("breaker_opens") == 1


def test_a_lease_without_a_token_is_no_lease(breaker: CircuitBreaker, clock: Clock) -> None:
    write_state(breaker, {"failures": 3, "opened_at": clock.now - 100, "probe_started": clock.now})
    assert breaker.acquire().probe


def test_a_token_without_a_start_time_is_no_lease(breaker: CircuitBreaker, clock: Clock) -> None:
    write_state(breaker, {"failures": 3, "opened_at": clock.now - 100, "probe_token": "abandoned"})
    assert breaker.acquire().probe


def test_a_probe_lease_ends_exactly_at_its_length(tmp_path: Path, clock: Clock) -> None:
    breaker = CircuitBreaker(tmp_path, cooldown_s=30, probe_lease_s=60, clock=clock)
    fail(breaker, 3)
    clock.now += 31
    breaker.acquire()
    clock.now += 60
    assert not breaker.snapshot().probe_in_flight
    assert breaker.acquire().probe


def test_probe_tokens_are_128_random_bits(breaker: CircuitBreaker, clock: Clock) -> None:
    fail(breaker, 3)
    clock.now += 31
    tokens = set()
    for _ in range(3):
        permit = breaker.acquire()
        assert permit.token is not None
        assert len(permit.token) == 32 and int(permit.token, 16) >= 0
        tokens.add(permit.token)
        breaker.release(permit)
    assert len(tokens) == 3


def test_a_count_that_is_not_a_number_counts_as_none(breaker: CircuitBreaker, clock: Clock) -> None:
    write_state(breaker, {"failures": True})
    assert breaker.snapshot().failures == 0
    breaker.record_failure(breaker.acquire())
    assert breaker.snapshot().failures == 1
