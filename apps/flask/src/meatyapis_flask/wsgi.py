"""The WSGI entry module: `meatyapis_flask.wsgi:app` (gunicorn loads it in each worker)."""

from meatyapis_chassis.logs import configure_logging

from meatyapis_flask.app import create_app
from meatyapis_flask.settings import load_settings

settings = load_settings()
configure_logging(settings.log_level)
app = create_app(settings)
