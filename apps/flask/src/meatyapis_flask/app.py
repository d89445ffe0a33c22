"""The application factory."""

from __future__ import annotations

from flask import Flask

from meatyapis_flask.access_log import init_access_log
from meatyapis_flask.blueprints import basics, docs, health, openapi, pages, products
from meatyapis_flask.cors import init_cors
from meatyapis_flask.db import Database
from meatyapis_flask.identity import init_identity
from meatyapis_flask.metrics import init_metrics
from meatyapis_flask.problems import register_error_handlers
from meatyapis_flask.settings import Settings, load_settings

STATIC_MAX_AGE = 3600  # seconds a browser may keep /static files; their names carry no version


def create_app(config: Settings | None = None) -> Flask:
    """Build the app from `config`, or from the environment (validated) when it is None."""
    settings = config if config is not None else load_settings()
    app = Flask(__name__)
    app.config.update(
        SETTINGS=settings,
        MAX_CONTENT_LENGTH=settings.max_body_bytes,
        SEND_FILE_MAX_AGE_DEFAULT=STATIC_MAX_AGE,
    )
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.extensions["meatyapis.database"] = Database(settings.database_url)

    # Order matters: the access log's after_request must run last, so it is registered first.
    init_access_log(app)
    if settings.metrics_enabled:
        init_metrics(app)
    init_identity(app, settings)  # after the metrics: its outbound metrics use their registry
    for blueprint in (pages.bp, basics.bp, products.bp, health.bp, openapi.bp, docs.bp):
        app.register_blueprint(blueprint)
    init_cors(app, settings.cors_allowed_origins)
    register_error_handlers(app)
    return app
