"""The process's shutdown flag: set when draining begins, so readiness answers 503 from then on.

One flag per process, set from the worker's stop-signal handling (gunicorn hooks, the uvicorn
worker) or the app's own shutdown, and read by both services' readiness probes.
"""

from __future__ import annotations

import logging
import threading

log = logging.getLogger(__name__)

_shutting_down = threading.Event()


def begin_shutdown() -> None:
    if not _shutting_down.is_set():
        log.info("shutdown begun: readiness now answers 503")
    _shutting_down.set()


def shutting_down() -> bool:
    return _shutting_down.is_set()


def serving() -> None:
    """Clear the flag: the app (again) serves traffic, as at its start-up."""
    _shutting_down.clear()
