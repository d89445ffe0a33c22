"""The application factory."""

from __future__ import annotations

from meatyapis_chassis.database import Database
from meatyapis_chassis.docs_page import ASSET_MAX_AGE
from meatyapis_chassis.methods import wsgi_method_filter
from meatyapis_chassis.metrics import new_registry

from meatyapis_flask.blueprints import checkins, docs, examples, health, openapi, pages, products
from meatyapis_flask.catalog_app import CatalogApp
from meatyapis_flask.cors import init_cors
from meatyapis_flask.identity.verifier import identity_verifier
from meatyapis_flask.metrics import init_metrics
from meatyapis_flask.problems import register_error_handlers
from meatyapis_flask.request_context import access_log, wsgi_request_context
from meatyapis_flask.routing import init_routing
from meatyapis_flask.settings import Settings, load_settings


def create_app(config: Settings | None = None) -> CatalogApp:
    """Build the app from `config`, or from the environment (validated) when it is None."""
    settings = config if config is not None else load_settings()
    app = CatalogApp(__name__)
    app.config.update(
        MAX_CONTENT_LENGTH=settings.max_body_bytes, SEND_FILE_MAX_AGE_DEFAULT=ASSET_MAX_AGE
    )
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.settings = settings
    app.database = Database(settings.database_url)
    registry = new_registry() if settings.metrics_enabled else None
    app.metrics_registry = registry
    app.token_verifier = identity_verifier(settings, registry)

    if registry is not None:
        init_metrics(app, registry)
    init_routing(app)
    for area in (pages, examples, checkins, products, health, openapi, docs):
        app.register_blueprint(area.bp)
    init_cors(app, settings.cors_allowed_origins)
    register_error_handlers(app)
    # Every answer of the app gets the request id and the security headers; made-up methods are
    # refused before the app and its metrics see them (the filter's answer has its own).
    app.wsgi_app = wsgi_request_context(app.wsgi_app)  # type: ignore[method-assign,assignment]
    app.wsgi_app = wsgi_method_filter(app.wsgi_app, access_log)  # type: ignore[method-assign,assignment]
    return app
