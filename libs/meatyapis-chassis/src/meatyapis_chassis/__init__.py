"""MeatyAPIs service chassis: what both services keep alike, written once.

A versioned library, not shared runtime state: each service installs it into its own image and
calls it from its framework adapters (Flask hooks, ASGI middleware, gunicorn config modules).
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("meatyapis-chassis")
except PackageNotFoundError:  # pragma: no cover - only when run from a source tree without install
    __version__ = "0.0.0+unknown"
