"""Process state shared between the gunicorn hooks and the readiness probe."""

from __future__ import annotations

import threading

_shutting_down = threading.Event()


def begin_shutdown() -> None:
    """Called from the worker's SIGTERM handler: readiness answers 503 from now on."""
    _shutting_down.set()


def shutting_down() -> bool:
    return _shutting_down.is_set()
