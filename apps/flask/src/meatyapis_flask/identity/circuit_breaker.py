"""A thread-safe circuit breaker: closed → open after consecutive failures → half-open → …

State lives in the process. Under gunicorn every worker keeps its own breaker (workers share no
memory): each worker opens after its own run of failures and probes on its own. That is honest
and needs no coordination; the `meatyapis_circuit_breaker_state` gauge shows the worst worker.
"""

from __future__ import annotations

import enum
import math
import threading
import time
from collections.abc import Callable


class State(enum.IntEnum):
    """Values are those of the `meatyapis_circuit_breaker_state` gauge."""

    CLOSED = 0
    HALF_OPEN = 1
    OPEN = 2


class CircuitBreaker:
    """`allow()` before a call, then exactly one of `record_success()` / `record_failure()` /
    `release()` (no verdict).

    Closed: every call is allowed; `failure_threshold` consecutive failures open the circuit.
    Open: calls are refused for `cooldown` seconds. Then half-open: one trial call is let
    through; its success closes the circuit, its failure opens it for another cool-down. A trial
    that never reports back (its thread died) is given up after one cool-down, and a new trial
    is allowed.
    """

    def __init__(
        self,
        failure_threshold: int,
        cooldown: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        on_change: Callable[[State], None] | None = None,
    ) -> None:
        if failure_threshold < 1 or cooldown <= 0:
            raise ValueError("failure_threshold must be ≥ 1 and cooldown > 0")
        self.failure_threshold = failure_threshold
        self.cooldown = cooldown
        self._clock = clock
        self._on_change = on_change
        self._lock = threading.Lock()
        self._state = State.CLOSED
        self._failures = 0
        self._opened_at = 0.0
        self._trial_started: float | None = None
        if on_change is not None:
            on_change(State.CLOSED)

    @property
    def state(self) -> State:
        with self._lock:
            return self._current_state(self._clock())

    def _current_state(self, now: float) -> State:
        if self._state is State.OPEN and now - self._opened_at >= self.cooldown:
            self._set(State.HALF_OPEN)
            self._trial_started = None
        return self._state

    def _set(self, state: State) -> None:
        if state is not self._state:
            self._state = state
            if self._on_change is not None:
                self._on_change(state)

    def allow(self) -> bool:
        """Whether a call may go out now (in half-open, only the one trial)."""
        with self._lock:
            now = self._clock()
            state = self._current_state(now)
            if state is State.CLOSED:
                return True
            if state is State.HALF_OPEN:
                stale = (
                    self._trial_started is not None and now - self._trial_started >= self.cooldown
                )
                if self._trial_started is None or stale:
                    self._trial_started = now
                    return True
            return False

    def record_success(self) -> None:
        with self._lock:
            self._failures = 0
            self._trial_started = None
            self._set(State.CLOSED)

    def release(self) -> None:
        """The allowed call ended without a verdict on the service (it failed here, before or
        while calling): the state stays, and a half-open trial may be taken again."""
        with self._lock:
            self._trial_started = None

    def record_failure(self) -> None:
        with self._lock:
            now = self._clock()
            state = self._current_state(now)
            self._failures += 1
            if state is State.HALF_OPEN or self._failures >= self.failure_threshold:
                self._opened_at = now
                self._trial_started = None
                self._set(State.OPEN)

    def retry_after(self) -> int:
        """Whole seconds until a call may be allowed again (at least 1): for Retry-After."""
        with self._lock:
            now = self._clock()
            if self._current_state(now) is State.OPEN:
                return max(1, math.ceil(self.cooldown - (now - self._opened_at)))
            return 1
