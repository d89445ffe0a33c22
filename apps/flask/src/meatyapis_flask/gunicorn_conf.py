"""gunicorn configuration: `gunicorn -c python:meatyapis_flask.gunicorn_conf`.

Every value comes from the validated settings (environment variables); see README.md. What both
services share (bind, workers, timeouts, JSON logs, the metrics-directory hooks) comes from the
chassis; the gthread worker and its hooks are the catalog's own.
"""

from __future__ import annotations

import signal
from types import FrameType
from typing import Any

from meatyapis_chassis import server_errors
from meatyapis_chassis.gunicorn_conf import server_config, settings_or_exit
from meatyapis_chassis.lifecycle import begin_shutdown

from meatyapis_flask.settings import load_settings

_settings = settings_or_exit(load_settings)
globals().update(server_config(_settings, "meatyapis_flask.wsgi:app"))
worker_class = "gthread"
threads = _settings.threads
# What gunicorn answers itself (431, 414, 400 …) is a problem document with nosniff too.
server_errors.install()


def pre_request(worker: Any, req: Any) -> None:
    """A body over MAX_BODY_BYTES is refused (413) unread, and gunicorn drains at most 64 KiB of
    an unread body: close the connection after the answer rather than promise keep-alive. A
    chunked body's length is known only once read, so its connection closes after the answer
    too (the app stops reading one byte past the limit)."""
    for name, value in req.headers:
        declared = name == "CONTENT-LENGTH" and value.isdigit()
        if (declared and int(value) > _settings.max_body_bytes) or (
            name == "TRANSFER-ENCODING" and "chunked" in value.lower()
        ):
            req.force_close()


def post_worker_init(worker: Any) -> None:
    """Chain the worker's SIGTERM handler: readiness turns 503 as soon as draining starts."""
    graceful_exit = worker.handle_exit

    def on_sigterm(signum: int, frame: FrameType | None) -> None:
        begin_shutdown()
        worker.log.info("worker %s: draining, readiness is now 503", worker.pid)
        graceful_exit(signum, frame)

    signal.signal(signal.SIGTERM, on_sigterm)
    signal.siginterrupt(signal.SIGTERM, False)
    worker.log.info("worker %s: app loaded, serving", worker.pid)


def worker_int(worker: Any) -> None:
    begin_shutdown()


def worker_abort(worker: Any) -> None:
    begin_shutdown()


def worker_exit(server: Any, worker: Any) -> None:
    begin_shutdown()
