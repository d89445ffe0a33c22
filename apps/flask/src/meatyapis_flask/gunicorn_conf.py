"""gunicorn configuration: `gunicorn -c python:meatyapis_flask.gunicorn_conf`.

Every value comes from the validated settings (environment variables); see README.md.
"""

from __future__ import annotations

import shutil
import signal
import sys
from pathlib import Path
from types import FrameType
from typing import Any

from meatyapis_flask.lifecycle import begin_shutdown
from meatyapis_flask.logs import logging_config
from meatyapis_flask.settings import ConfigurationError, load_settings

try:
    _settings = load_settings()
except ConfigurationError as _err:
    sys.exit(str(_err))

_host = f"[{_settings.bind_host}]" if ":" in _settings.bind_host else _settings.bind_host

wsgi_app = "meatyapis_flask.wsgi:app"
bind = [f"{_host}:{_settings.port}"]
workers = _settings.web_concurrency
worker_class = "gthread"
threads = _settings.threads
worker_tmp_dir = str(_settings.worker_tmp_dir)
timeout = _settings.worker_timeout
graceful_timeout = _settings.graceful_timeout
# Longer than the idle timeouts of common load balancers (AWS ALB 60 s), so they close first.
keepalive = _settings.keepalive
max_requests = _settings.max_requests
max_requests_jitter = _settings.max_requests_jitter
forwarded_allow_ips = _settings.forwarded_allow_ips
proc_name = "meatyapis-flask"
# The app writes one access line per request itself; gunicorn's own log is JSON too.
accesslog = None
errorlog = "-"
loglevel = _settings.log_level.lower()
logconfig_dict = logging_config(_settings.log_level)
# gunicorn >= 25 opens a control socket under $HOME by default; containers run read-only.
control_socket_disable = True


def on_starting(server: Any) -> None:
    """Master start: an empty multiprocess directory, so old workers' samples do not count."""
    directory = _settings.prometheus_multiproc_dir
    if directory is None:
        return
    directory.mkdir(parents=True, exist_ok=True)
    for entry in Path(directory).iterdir():
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()
    server.log.info("metrics: wiped multiprocess directory %s", directory)


def child_exit(server: Any, worker: Any) -> None:
    """A worker is gone: drop its live gauges, fold its counters and histograms into the archive."""
    directory = _settings.prometheus_multiproc_dir
    if directory is None:
        return
    from prometheus_client import multiprocess

    from meatyapis_flask.metrics_archive import archive_dead_worker

    multiprocess.mark_process_dead(worker.pid, str(directory))  # type: ignore[no-untyped-call]
    archive_dead_worker(directory, worker.pid)


def pre_request(worker: Any, req: Any) -> None:
    """A body over MAX_BODY_BYTES is refused (413) unread, and gunicorn drains at most 64 KiB of
    an unread body: close the connection after the answer rather than promise keep-alive."""
    for name, value in req.headers:
        if name == "CONTENT-LENGTH" and value.isdigit() and int(value) > _settings.max_body_bytes:
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
