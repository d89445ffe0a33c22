"""MeatyAPIs identity service: registration, login, JSON Web Tokens and token verification."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("meatyapis-fastapi")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0.0.0"

APP_NAME = "meatyapis-fastapi"
