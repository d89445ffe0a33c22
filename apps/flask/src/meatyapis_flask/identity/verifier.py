"""The identity service as the catalog's token verifier: cache, then the resilient client.

`identity_verifier` builds one breaker, one token cache and one client per app. The outgoing
call carries the request's X-Request-ID and a child `traceparent` of the caller's, so the
catalog's and the identity service's log lines join up.
"""

from __future__ import annotations

from flask import has_request_context, request
from meatyapis_chassis.request_id import request_id_var
from prometheus_client import CollectorRegistry

from meatyapis_flask.auth import Caller
from meatyapis_flask.identity.circuit_breaker import CircuitBreaker, State
from meatyapis_flask.identity.client import IdentityClient
from meatyapis_flask.identity.metrics import OutboundMetrics
from meatyapis_flask.identity.token_cache import TokenCache
from meatyapis_flask.settings import Settings

TARGET = "identity"


class IdentityVerifier:
    """Checks a bearer token: a fresh cached verdict, or the identity service's `GET /verify`."""

    def __init__(self, client: IdentityClient, cache: TokenCache) -> None:
        self.client = client
        self.cache = cache

    def verify(self, token: str) -> Caller:
        claims = self.cache.get(token)
        if claims is None:
            incoming = request.headers.get("traceparent") if has_request_context() else None
            claims = self.client.verify(
                token, request_id=request_id_var.get(), traceparent=incoming
            )
            self.cache.put(token, claims)
        scope = claims.get("scope")
        return Caller(
            subject=str(claims["sub"]),
            username=str(claims.get("username") or claims["sub"]),
            scopes=frozenset(scope.split()) if isinstance(scope, str) else frozenset(),
        )


def identity_verifier(settings: Settings, registry: CollectorRegistry | None) -> IdentityVerifier:
    """The verifier of one app; its outbound metrics go to `registry` (none: not recorded)."""
    metrics = OutboundMetrics(registry) if registry is not None else None

    def on_change(state: State) -> None:
        if metrics is not None:
            metrics.state(TARGET, state)

    breaker = CircuitBreaker(
        settings.identity_breaker_failures,
        settings.identity_breaker_cooldown_seconds,
        on_change=on_change,
    )
    client = IdentityClient(
        str(settings.identity_url),
        connect_timeout=settings.identity_connect_timeout_seconds,
        read_timeout=settings.identity_read_timeout_seconds,
        deadline=settings.identity_deadline_seconds,
        attempts=settings.identity_attempts,
        backoff=settings.identity_backoff_seconds,
        breaker=breaker,
        metrics=metrics,
        target=TARGET,
    )
    cache = TokenCache(settings.identity_cache_size, settings.identity_cache_ttl_seconds)
    return IdentityVerifier(client, cache)
