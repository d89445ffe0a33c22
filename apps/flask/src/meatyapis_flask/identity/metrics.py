"""The outbound-call metrics of docs/observability.md, on the app's registry.

Multiprocess mode: the counter and histogram are summed over workers like every other series.
The breaker-state gauge is `livemax`: each worker has its own breaker, and the worst state of the
live workers (2 open > 1 half-open > 0 closed) is what an operator needs to see; a dead worker's
value disappears with it (the `child_exit` hook marks it dead), so a worker that died with its
circuit open does not hold the gauge at 2 forever.
"""

from __future__ import annotations

from meatyapis_chassis.metrics import BUCKETS
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from meatyapis_flask.identity.circuit_breaker import State

NO_STATUS = "none"  # the `status` label of a call that got no HTTP answer


class OutboundMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.requests = Counter(
            "meatyapis_outbound_requests",
            "Outbound HTTP calls by target, outcome (success, error, timeout, rejected), status",
            ("target", "outcome", "status"),
            registry=registry,
        )
        self.duration = Histogram(
            "meatyapis_outbound_request_duration_seconds",
            "Duration of outbound HTTP calls",
            ("target",),
            buckets=BUCKETS,
            registry=registry,
        )
        self.breaker_state = Gauge(
            "meatyapis_circuit_breaker_state",
            "Circuit breaker state per target: 0 closed, 1 half-open, 2 open",
            ("target",),
            registry=registry,
            multiprocess_mode="livemax",
        )

    def call(self, target: str, outcome: str, status: str, seconds: float | None) -> None:
        self.requests.labels(target, outcome, status).inc()
        if seconds is not None:
            self.duration.labels(target).observe(seconds)

    def state(self, target: str, state: State) -> None:
        self.breaker_state.labels(target).set(int(state))
