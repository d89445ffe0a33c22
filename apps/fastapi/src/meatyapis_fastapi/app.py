"""The application factory `create_app()`; `meatyapis_fastapi.asgi:app` is its product."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from meatyapis_chassis import lifecycle
from meatyapis_chassis.database import Database
from meatyapis_chassis.logs import configure_logging
from meatyapis_chassis.methods import AsgiMethodFilter
from meatyapis_chassis.metrics import new_registry
from meatyapis_chassis.security_headers import AsgiSecurityHeaders

from meatyapis_fastapi import APP_NAME, __version__, metrics
from meatyapis_fastapi.body_limit import BodySizeLimitMiddleware
from meatyapis_fastapi.docs import install_docs
from meatyapis_fastapi.forwarded import ForwardedMiddleware
from meatyapis_fastapi.head_as_get import HeadAsGetMiddleware
from meatyapis_fastapi.login_throttle import LoginPolicy, LoginThrottle
from meatyapis_fastapi.problems import install_problem_handlers
from meatyapis_fastapi.request_context import RequestContextMiddleware, access_log
from meatyapis_fastapi.routers import auth, examples, health, info, users
from meatyapis_fastapi.security import Passwords, Tokens
from meatyapis_fastapi.settings import Settings, load_settings

DESCRIPTION = """The MeatyAPIs identity service: register, log in for a bearer token (JWT),
verify tokens for the other services, and read protected information.

Every GET operation answers HEAD too. Errors are RFC 9457 problem details
(`application/problem+json`); those of the token endpoint `POST /login` also carry the OAuth2
`error` and `error_description` members (RFC 6749 §5.2)."""


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    lifecycle.serving()
    try:
        yield
    finally:
        lifecycle.begin_shutdown()
        app.state.db.dispose()


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the application from `settings` (read from the environment when not given)."""
    settings = settings or load_settings()
    configure_logging(settings.log_level)
    app = FastAPI(
        title=APP_NAME,
        version=__version__,
        description=DESCRIPTION,
        docs_url=None,
        redoc_url=None,
        # The API's description is public only with its documentation page (DOCS_ENABLED).
        openapi_url="/openapi.json" if settings.docs_enabled else None,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.db = Database(settings.database_url)
    app.state.passwords = Passwords.from_settings(settings)
    app.state.tokens = Tokens.from_settings(settings)
    app.state.login_throttle = LoginThrottle(app.state.db, login_policy(settings))

    for router in (examples.router, auth.router, users.router, info.router, health.router):
        app.include_router(router)
    install_docs(app, enabled=settings.docs_enabled)
    install_problem_handlers(app)
    # Each middleware added wraps the ones before: HEAD as GET, body limit, metrics, request
    # context, the method filter (made-up methods never reach the metrics), the client address
    # behind the trusted proxies, which every access line reports, and outermost the security
    # headers, on every answer.
    app.add_middleware(HeadAsGetMiddleware)
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=settings.max_body_bytes)
    metrics.instrument(app, new_registry(), enabled=settings.metrics_enabled)
    app.add_middleware(RequestContextMiddleware)
    app.add_middleware(AsgiMethodFilter, access_log=access_log)
    app.add_middleware(ForwardedMiddleware, trusted=settings.trusted_proxies)
    app.add_middleware(AsgiSecurityHeaders)
    return app


def login_policy(settings: Settings) -> LoginPolicy:
    return LoginPolicy(
        max_per_pair=settings.login_max_failures,
        max_per_client=settings.login_max_failures_per_ip,
        window_seconds=settings.login_failure_window_seconds,
        backoff_after=settings.login_username_backoff_after,
        backoff_max_seconds=settings.login_username_backoff_max_seconds,
    )
