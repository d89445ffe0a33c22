"""MeatyAPIs catalog service: a Flask app served by gunicorn, instrumented for Prometheus."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("meatyapis-flask")
except PackageNotFoundError:  # pragma: no cover - only when run from a source tree without install
    __version__ = "0.0.0+unknown"

APP_NAME = "meatyapis-flask"
