"""The identity service as the catalog's token verifier: cache, then the resilient client.

`init_identity` builds one breaker, one token cache and one client per app and installs them at
the auth seam. The outgoing call carries the request's X-Request-ID and a child `traceparent`
of the caller's, so the catalog's and the identity service's log lines join up.
"""

from __future__ import annotations

from flask import Flask, has_request_context, request

from meatyapis_flask.auth import install_token_verifier
from meatyapis_flask.circuit_breaker import CircuitBreaker, State
from meatyapis_flask.identity_client import IdentityClient
from meatyapis_flask.logs import request_id_var
from meatyapis_flask.outbound_metrics import OutboundMetrics
from meatyapis_flask.settings import Settings
from meatyapis_flask.token_cache import TokenCache

TARGET = "identity"


class IdentityVerifier:
    """Checks a bearer token: a fresh cached verdict, or the identity service's `GET /verify`."""

    def __init__(self, client: IdentityClient, cache: TokenCache) -> None:
        self.client = client
        self.cache = cache

    def verify(self, token: str) -> str:
        claims = self.cache.get(token)
        if claims is None:
            incoming = request.headers.get("traceparent") if has_request_context() else None
            claims = self.client.verify(
                token, request_id=request_id_var.get(), traceparent=incoming
            )
            self.cache.put(token, claims)
        return str(claims["sub"])


def init_identity(app: Flask, settings: Settings) -> IdentityVerifier:
    exporter = app.extensions.get("meatyapis.metrics")
    metrics = OutboundMetrics(exporter.registry) if exporter is not None else None

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
    verifier = IdentityVerifier(client, cache)
    install_token_verifier(app, verifier)
    return verifier
