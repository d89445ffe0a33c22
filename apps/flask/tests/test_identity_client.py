"""The identity client against a real HTTP server on 127.0.0.1 (tests/support/identity_stub.py):
retries and their backoff, no retry on 401, timeouts, the breaker, metrics, propagated headers."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from meatyapis_flask.auth import TokenRejected, VerifierUnavailable
from meatyapis_flask.identity.circuit_breaker import CircuitBreaker, State
from meatyapis_flask.identity.client import IdentityClient, backoff_delay
from meatyapis_flask.identity.metrics import OutboundMetrics
from meatyapis_flask.identity.traceparent import parse
from prometheus_client import CollectorRegistry

from tests.support.identity_stub import IdentityStub
from tests.support.net import HOST, free_port

TOKEN = "test-token"
INCOMING = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


class Recorder:
    """Sleeps for real but remembers each pause."""

    def __init__(self) -> None:
        self.pauses: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.pauses.append(seconds)


@pytest.fixture
def stub() -> Iterator[IdentityStub]:
    with IdentityStub({TOKEN: "alice"}) as server:
        yield server


@pytest.fixture
def registry() -> CollectorRegistry:
    return CollectorRegistry()


def client_for(
    url: str,
    registry: CollectorRegistry | None = None,
    *,
    attempts: int = 2,
    threshold: int = 5,
    sleep: Recorder | None = None,
    read_timeout: float = 0.5,
    deadline: float = 0.8,
) -> IdentityClient:
    metrics = OutboundMetrics(registry) if registry is not None else None
    breaker = CircuitBreaker(
        threshold, 5.0, on_change=lambda s: metrics.state("identity", s) if metrics else None
    )
    return IdentityClient(
        url,
        connect_timeout=0.25,
        read_timeout=read_timeout,
        deadline=deadline,
        attempts=attempts,
        backoff=0.05,
        breaker=breaker,
        metrics=metrics,
        sleep=sleep or Recorder(),
    )


def calls(registry: CollectorRegistry, outcome: str, status: str) -> float:
    labels = {"target": "identity", "outcome": outcome, "status": status}
    return registry.get_sample_value("meatyapis_outbound_requests_total", labels) or 0.0


def test_a_valid_token_gets_its_claims_with_the_request_context_propagated(
    stub: IdentityStub, registry: CollectorRegistry, caplog: pytest.LogCaptureFixture
) -> None:
    client = client_for(stub.url, registry)
    with caplog.at_level(logging.INFO, logger="meatyapis_flask.outbound"):
        claims = client.verify(TOKEN, request_id="req-42", traceparent=INCOMING)
    assert claims["sub"] == "alice"
    (call,) = stub.calls
    assert call["authorization"] == f"Bearer {TOKEN}"
    assert call["x-request-id"] == "req-42"
    sent = parse(call["traceparent"])
    assert sent is not None
    assert sent.trace_id == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert sent.parent_id != "00f067aa0ba902b7"
    assert calls(registry, "success", "200") == 1
    count = registry.get_sample_value(
        "meatyapis_outbound_request_duration_seconds_count", {"target": "identity"}
    )
    assert count == 1
    (record,) = [r for r in caplog.records if r.name == "meatyapis_flask.outbound"]
    assert record.__dict__["outcome"] == "success"
    assert record.__dict__["status"] == "200"
    assert record.__dict__["traceparent"] == call["traceparent"]
    assert record.__dict__["duration_ms"] >= 0
    client.close()


def test_without_a_caller_trace_a_new_one_is_started(stub: IdentityStub) -> None:
    client_for(stub.url).verify(TOKEN)
    client_for(stub.url).verify(TOKEN, traceparent="not-a-traceparent")
    first, second = (parse(call["traceparent"]) for call in stub.calls)
    assert first is not None
    assert second is not None
    assert first.trace_id != second.trace_id
    assert "x-request-id" not in stub.calls[0]


def test_a_401_is_an_answer_never_retried(stub: IdentityStub, registry: CollectorRegistry) -> None:
    client = client_for(stub.url, registry, threshold=1)
    with pytest.raises(TokenRejected):
        client.verify("forged")
    assert len(stub.calls) == 1
    assert calls(registry, "success", "401") == 1
    assert client.breaker.state is State.CLOSED  # the service works; only the token is bad


def test_a_5xx_is_retried_once_after_a_jittered_pause(
    stub: IdentityStub, registry: CollectorRegistry
) -> None:
    stub.statuses = [503]
    pauses = Recorder()
    claims = client_for(stub.url, registry, sleep=pauses).verify(TOKEN)
    assert claims["sub"] == "alice"
    assert len(stub.calls) == 2
    assert len(pauses.pauses) == 1
    assert 0 <= pauses.pauses[0] <= 0.05
    assert calls(registry, "error", "503") == 1
    assert calls(registry, "success", "200") == 1


def test_retries_are_bounded(stub: IdentityStub, registry: CollectorRegistry) -> None:
    stub.statuses = [500, 502, 503, 504]
    pauses = Recorder()
    client = client_for(stub.url, registry, attempts=3, sleep=pauses)
    with pytest.raises(VerifierUnavailable, match="answered 50") as raised:
        client.verify(TOKEN)
    assert len(stub.calls) == 3
    assert len(pauses.pauses) == 2
    assert 0 <= pauses.pauses[0] <= 0.05
    assert 0 <= pauses.pauses[1] <= 0.1
    assert raised.value.retry_after == 1  # the breaker is still closed


def test_an_unexpected_answer_is_not_retried(stub: IdentityStub) -> None:
    stub.statuses = [418]
    with pytest.raises(VerifierUnavailable, match="418"):
        client_for(stub.url).verify(TOKEN)
    stub.body = b'{"no": "claims"}'
    with pytest.raises(VerifierUnavailable, match="200"):
        client_for(stub.url).verify(TOKEN)
    assert len(stub.calls) == 2


def test_a_refused_connection_is_retried_then_reported(registry: CollectorRegistry) -> None:
    client = client_for(f"http://{HOST}:{free_port()}", registry)
    with pytest.raises(VerifierUnavailable, match="could not be reached"):
        client.verify(TOKEN)
    assert calls(registry, "error", "none") == 2


def test_a_slow_service_times_out_within_the_deadline(
    stub: IdentityStub, registry: CollectorRegistry
) -> None:
    stub.delay = 2.0
    client = client_for(stub.url, registry, read_timeout=0.2, deadline=0.5)
    with pytest.raises(VerifierUnavailable, match="did not answer in time"):
        client.verify(TOKEN)
    # Two attempts of 0.2 s each fit into 0.5 s; a third would not.
    assert calls(registry, "timeout", "none") == 2
    assert len(stub.calls) == 2


def test_the_deadline_caps_the_last_attempt(
    stub: IdentityStub, registry: CollectorRegistry
) -> None:
    stub.delay = 2.0
    client = client_for(stub.url, registry, attempts=5, read_timeout=0.3, deadline=0.4)
    with pytest.raises(VerifierUnavailable):
        client.verify(TOKEN)
    # The first attempt takes 0.3 s; the second gets only what is left of the 0.4 s.
    assert 1 <= calls(registry, "timeout", "none") <= 2


def test_the_open_breaker_refuses_without_calling(
    stub: IdentityStub, registry: CollectorRegistry
) -> None:
    stub.statuses = [500] * 4
    client = client_for(stub.url, registry, threshold=2)
    with pytest.raises(VerifierUnavailable):
        client.verify(TOKEN)
    assert client.breaker.state is State.OPEN
    gauge = registry.get_sample_value("meatyapis_circuit_breaker_state", {"target": "identity"})
    assert gauge == 2
    with pytest.raises(VerifierUnavailable, match="circuit open") as raised:
        client.verify(TOKEN)
    assert raised.value.retry_after == 5
    assert len(stub.calls) == 2
    assert calls(registry, "rejected", "none") == 1


def test_full_jitter_backoff_bounds() -> None:
    assert backoff_delay(1, 0.05, 1.0, lambda: 0.0) == 0.0
    assert backoff_delay(1, 0.05, 1.0, lambda: 1.0) == 0.05
    assert backoff_delay(3, 0.05, 1.0, lambda: 1.0) == 0.2
    assert backoff_delay(10, 0.05, 1.0, lambda: 1.0) == 1.0  # capped
    assert backoff_delay(2, 0.05, 1.0, lambda: 0.5) == 0.05


@pytest.mark.parametrize("token", ["café", "tok en", "a\u202eb", "x" * 5000, ""])
def test_a_token_no_header_can_carry_is_refused_without_a_call(
    stub: IdentityStub, registry: CollectorRegistry, token: str
) -> None:
    client = client_for(stub.url, registry, threshold=1)
    client.breaker.record_failure()  # open
    client.breaker._opened_at -= 5.0  # its cool-down is over: the next call is the trial
    with pytest.raises(TokenRejected, match="malformed"):
        client.verify(token)
    assert stub.calls == []
    assert client.breaker.state is State.HALF_OPEN
    # The trial was not taken by the refused token: a good token gets it and closes the circuit.
    assert client.verify(TOKEN)["sub"] == "alice"
    assert client.breaker.state is State.CLOSED


def test_an_unexpected_error_during_the_call_frees_the_trial(
    stub: IdentityStub, registry: CollectorRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = client_for(stub.url, registry, threshold=1)
    client.breaker.record_failure()
    client.breaker._opened_at -= 5.0

    def broken(*args: object, **kwargs: object) -> object:
        raise UnicodeEncodeError("ascii", "é", 0, 1, "not ASCII")

    monkeypatch.setattr(client, "_attempt", broken)
    with pytest.raises(UnicodeEncodeError):
        client.verify(TOKEN)
    assert client.breaker.state is State.HALF_OPEN
    assert client.breaker.allow()  # not stuck behind a trial that never reports
