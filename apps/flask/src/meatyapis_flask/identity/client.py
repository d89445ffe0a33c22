"""The HTTP client of the identity service's `GET /verify`, built to fail fast and well.

One `verify` call makes at most `attempts` HTTP calls, each with a connect and a read timeout,
all within a total `deadline` (backoff sleeps included): a write gets its answer in time even
when the identity service hangs. Only a failure worth repeating is retried — a connection
error, a timeout, a 5xx — after a full-jitter exponential backoff; a 401 is an answer and is
never retried. A circuit breaker stops calling a failing service for a cool-down.

Note: httpx's read timeout bounds each socket read, not a whole response; /verify answers in one
small read, and the deadline is checked before every attempt and every backoff.
"""

from __future__ import annotations

import logging
import os
import random
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from meatyapis_flask.auth import TokenRejected, VerifierUnavailable, is_bearer_token
from meatyapis_flask.identity.circuit_breaker import CircuitBreaker
from meatyapis_flask.identity.metrics import NO_STATUS, OutboundMetrics
from meatyapis_flask.identity.traceparent import child_of

log = logging.getLogger("meatyapis_flask.outbound")

Claims = Mapping[str, Any]

SUCCESS, ERROR, TIMEOUT, REJECTED = "success", "error", "timeout", "rejected"


class _Retryable(Exception):
    """An attempt that failed in a way worth repeating."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def backoff_delay(retry: int, base: float, cap: float, rng: Callable[[], float]) -> float:
    """Full jitter: uniform in [0, min(cap, base * 2^(retry-1))] before retry number `retry`."""
    return float(rng() * min(cap, base * 2.0 ** (retry - 1)))


class IdentityClient:
    def __init__(
        self,
        base_url: str,
        *,
        connect_timeout: float,
        read_timeout: float,
        deadline: float,
        attempts: int,
        backoff: float,
        breaker: CircuitBreaker,
        metrics: OutboundMetrics | None = None,
        target: str = "identity",
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        rng: Callable[[], float] = random.random,
    ) -> None:
        self.url = base_url.rstrip("/") + "/verify"
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.deadline = deadline
        self.attempts = attempts
        self.backoff = backoff
        self.breaker = breaker
        self.metrics = metrics
        self.target = target
        self._clock = clock
        self._sleep = sleep
        self._rng = rng
        self._lock = threading.Lock()
        # Built now, not in the first request: making a client loads the TLS trust store, which
        # can take longer than the whole deadline on a busy machine.
        self._http: httpx.Client | None = self._new_http()
        self._http_pid = os.getpid()

    @staticmethod
    def _new_http() -> httpx.Client:
        return httpx.Client(
            limits=httpx.Limits(max_connections=32, max_keepalive_connections=8),
            follow_redirects=False,
            trust_env=False,
        )

    def _client(self) -> httpx.Client:
        # One connection pool per process: a pool inherited through fork is not shared.
        with self._lock:
            if self._http is None or self._http_pid != os.getpid():
                self._http = self._new_http()
                self._http_pid = os.getpid()
            return self._http

    def close(self) -> None:
        with self._lock:
            if self._http is not None and self._http_pid == os.getpid():
                self._http.close()
            self._http = None

    def verify(
        self, token: str, *, request_id: str | None = None, traceparent: str | None = None
    ) -> Claims:
        """The token's claims; TokenRejected on a 401; VerifierUnavailable when no answer came.

        A token no HTTP header can carry (RFC 6750 b64token) is refused before any call, so it
        neither reaches the service nor counts for or against the circuit.
        """
        if not is_bearer_token(token):
            raise TokenRejected("the token is malformed")
        started = self._clock()
        reason = "the identity service is unavailable"
        for attempt in range(1, self.attempts + 1):
            if attempt > 1:
                pause = backoff_delay(attempt - 1, self.backoff, self.deadline, self._rng)
                if self._clock() - started + pause >= self.deadline:
                    break
                self._sleep(pause)
            remaining = self.deadline - (self._clock() - started)
            if remaining <= 0:
                break
            if not self.breaker.allow():
                self._record(REJECTED, NO_STATUS, None, attempt, None, "circuit open")
                raise VerifierUnavailable(
                    "the identity service is unavailable (circuit open), retry later",
                    self.breaker.retry_after(),
                )
            try:
                claims = self._attempt(token, attempt, remaining, request_id, traceparent)
            except _Retryable as err:
                self.breaker.record_failure()
                reason = err.reason
                continue
            except TokenRejected:
                self.breaker.record_success()  # the service works; the token does not
                raise
            except VerifierUnavailable:
                self.breaker.record_failure()
                raise
            except BaseException:
                self.breaker.release()  # no verdict on the service: free a half-open trial
                raise
            self.breaker.record_success()
            return claims
        raise VerifierUnavailable(f"{reason}, retry later", self.breaker.retry_after())

    def _attempt(
        self,
        token: str,
        attempt: int,
        remaining: float,
        request_id: str | None,
        traceparent: str | None,
    ) -> Claims:
        span = str(child_of(traceparent))
        headers = {"Authorization": f"Bearer {token}", "traceparent": span}
        if request_id:
            headers["X-Request-ID"] = request_id
        timeout = httpx.Timeout(
            connect=min(self.connect_timeout, remaining),
            read=min(self.read_timeout, remaining),
            write=min(self.read_timeout, remaining),
            pool=min(self.connect_timeout, remaining),
        )
        began = self._clock()
        try:
            response = self._client().get(self.url, headers=headers, timeout=timeout)
        except httpx.TimeoutException as err:
            self._record(TIMEOUT, NO_STATUS, self._clock() - began, attempt, span, repr(err))
            raise _Retryable("the identity service did not answer in time") from None
        except httpx.TransportError as err:
            self._record(ERROR, NO_STATUS, self._clock() - began, attempt, span, repr(err))
            raise _Retryable("the identity service could not be reached") from None
        seconds = self._clock() - began
        status = response.status_code
        if status == 401:
            self._record(SUCCESS, "401", seconds, attempt, span, None)
            raise TokenRejected("the token is not valid")
        if status == 200:
            claims = _claims(response)
            if claims is not None:
                self._record(SUCCESS, "200", seconds, attempt, span, None)
                return claims
        self._record(ERROR, str(status), seconds, attempt, span, None)
        if status >= 500:
            raise _Retryable(f"the identity service answered {status}")
        raise VerifierUnavailable(
            f"the identity service answered {status} unexpectedly, retry later", 1
        )

    def _record(
        self,
        outcome: str,
        status: str,
        seconds: float | None,
        attempt: int,
        traceparent: str | None,
        error: str | None,
    ) -> None:
        if self.metrics is not None:
            self.metrics.call(self.target, outcome, status, seconds)
        log.log(
            logging.INFO if outcome == SUCCESS else logging.WARNING,
            "outbound GET %s %s",
            self.url,
            outcome,
            extra={
                "target": self.target,
                "url": self.url,
                "outcome": outcome,
                "status": status,
                "duration_ms": None if seconds is None else round(seconds * 1000, 3),
                "attempt": attempt,
                "traceparent": traceparent,
                "error": error,
            },
        )


def _claims(response: httpx.Response) -> Claims | None:
    """The claims of a 200, or None when the body is not a claim set with `sub` and `exp`."""
    try:
        body = response.json()
    except ValueError:
        return None
    if isinstance(body, dict) and isinstance(body.get("sub"), str) and "exp" in body:
        return body
    return None
