"""The circuit breaker's transitions, on a fake clock, and its thread safety."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from meatyapis_flask.identity.circuit_breaker import CircuitBreaker, State


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def make(threshold: int = 3, cooldown: float = 5.0) -> tuple[CircuitBreaker, Clock, list[State]]:
    clock, changes = Clock(), []
    breaker = CircuitBreaker(threshold, cooldown, clock=clock, on_change=changes.append)
    return breaker, clock, changes


def test_opens_after_consecutive_failures_only() -> None:
    breaker, _, changes = make(threshold=3)
    assert changes == [State.CLOSED]
    breaker.record_failure()
    breaker.record_failure()
    breaker.record_success()  # resets the run
    breaker.record_failure()
    breaker.record_failure()
    assert breaker.state is State.CLOSED
    assert breaker.allow()
    breaker.record_failure()
    assert breaker.state is State.OPEN
    assert not breaker.allow()
    assert changes == [State.CLOSED, State.OPEN]


def test_retry_after_counts_down_the_cooldown_and_is_at_least_one() -> None:
    breaker, clock, _ = make(threshold=1, cooldown=5.0)
    assert breaker.retry_after() == 1  # closed
    breaker.record_failure()
    assert breaker.retry_after() == 5
    clock.now += 2.5
    assert breaker.retry_after() == 3
    clock.now += 2.4
    assert breaker.retry_after() == 1


def test_half_open_lets_exactly_one_trial_through_and_success_closes() -> None:
    breaker, clock, changes = make(threshold=1, cooldown=5.0)
    breaker.record_failure()
    clock.now += 4.9
    assert not breaker.allow()
    clock.now += 0.1
    assert breaker.state is State.HALF_OPEN
    assert breaker.allow()  # the trial
    assert not breaker.allow()  # everyone else waits for its verdict
    breaker.record_success()
    assert breaker.state is State.CLOSED
    assert breaker.allow()
    assert breaker.allow()
    assert changes == [State.CLOSED, State.OPEN, State.HALF_OPEN, State.CLOSED]


def test_a_failed_trial_opens_again_for_a_full_cooldown() -> None:
    breaker, clock, _ = make(threshold=3, cooldown=5.0)
    for _ in range(3):
        breaker.record_failure()
    clock.now += 5
    assert breaker.allow()
    breaker.record_failure()  # one failure suffices in half-open
    assert breaker.state is State.OPEN
    assert breaker.retry_after() == 5
    clock.now += 5
    assert breaker.state is State.HALF_OPEN


def test_a_trial_that_never_reports_is_given_up_after_a_cooldown() -> None:
    breaker, clock, _ = make(threshold=1, cooldown=5.0)
    breaker.record_failure()
    clock.now += 5
    assert breaker.allow()
    clock.now += 4
    assert not breaker.allow()
    clock.now += 1
    assert breaker.allow()


def test_invalid_parameters_are_refused() -> None:
    with pytest.raises(ValueError, match="failure_threshold"):
        CircuitBreaker(0, 1.0)
    with pytest.raises(ValueError, match="cooldown"):
        CircuitBreaker(1, 0)


def test_concurrent_callers_in_half_open_get_one_trial_and_failures_are_all_counted() -> None:
    breaker, clock, _ = make(threshold=800, cooldown=5.0)
    start = threading.Barrier(16)

    def fail(_: int) -> None:
        start.wait(timeout=10)
        for _ in range(50):
            breaker.record_failure()

    with ThreadPoolExecutor(16) as pool:
        list(pool.map(fail, range(16)))
    assert breaker.state is State.OPEN  # exactly 800: one lost count would keep it closed
    clock.now += 5

    def try_trial(_: int) -> bool:
        start.wait(timeout=10)
        return breaker.allow()

    with ThreadPoolExecutor(16) as pool:
        allowed = list(pool.map(try_trial, range(16)))
    assert allowed.count(True) == 1


def test_release_frees_a_half_open_trial_without_a_verdict() -> None:
    breaker, clock, changes = make(threshold=1, cooldown=5.0)
    breaker.record_failure()
    clock.now += 5.0
    assert breaker.allow()  # the trial
    assert not breaker.allow()
    breaker.release()  # the call never happened (a bad request of the caller's)
    assert breaker.state is State.HALF_OPEN
    assert breaker.allow()  # the next caller may try at once
    breaker.record_success()
    assert changes == [State.CLOSED, State.OPEN, State.HALF_OPEN, State.CLOSED]
