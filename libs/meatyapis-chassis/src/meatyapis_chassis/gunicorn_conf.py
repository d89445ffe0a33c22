"""The gunicorn configuration both services share, for their `gunicorn_conf` modules.

gunicorn reads a config module's names; a service's module takes these with
`globals().update(server_config(...))` and adds only what is its own (worker class, threads,
extra hooks). Every value comes from the validated settings.
"""

from __future__ import annotations

import logging
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from gunicorn import glogging
from prometheus_client import values

from meatyapis_chassis import multiprocess_dir
from meatyapis_chassis.logs import logging_config
from meatyapis_chassis.metrics import MULTIPROC_DIR_VARIABLE
from meatyapis_chassis.metrics_server import MetricsServer
from meatyapis_chassis.settings import ConfigurationError, ServiceSettings

SettingsT = TypeVar("SettingsT", bound=ServiceSettings)


def settings_or_exit(load: Callable[[], SettingsT]) -> SettingsT:
    """The settings, or gunicorn stops before any worker starts, naming the bad variable."""
    try:
        return load()
    except ConfigurationError as err:
        sys.exit(str(err))


class Logger(glogging.Logger):  # type: ignore[misc]  # gunicorn is untyped
    """gunicorn's logger, whose access line is built only when it would be written.

    With `logconfig_dict` set, gunicorn builds the atoms of its access line (the request's
    headers, a formatted date) for every request, and hands them to `gunicorn.access`, which the
    services keep at WARNING (each app writes its own access line): work thrown away.
    """

    def access(self, resp: Any, req: Any, environ: Any, request_time: Any) -> None:
        if self.access_log.isEnabledFor(logging.INFO):
            super().access(resp, req, environ, request_time)


def metrics_directory(settings: ServiceSettings, proc_name: str) -> Path:
    """PROMETHEUS_MULTIPROC_DIR, or a fresh temporary one; exported for the workers either way,
    so that every worker's samples count whatever the environment says."""
    directory = settings.prometheus_multiproc_dir or Path(
        tempfile.mkdtemp(prefix=f"{proc_name}-metrics-")
    )
    os.environ[MULTIPROC_DIR_VARIABLE] = str(directory)
    return directory


def choose_metric_values() -> None:
    """In a new worker, before its app (and the app's metrics) load: samples in the
    multiprocess directory, which the master's metrics listener reads.

    prometheus_client decides between in-process and multiprocess values once, when it is
    first imported, from the environment of that moment; the master imported it before
    `metrics_directory` exported the directory, so each worker decides again. A worker names
    its files by its pid, known here once: the library's default asks the kernel for it again
    on every sample it writes (to notice a fork, which a worker never does).
    """
    pid = os.getpid()
    values.ValueClass = values.MultiProcessValue(process_identifier=lambda: pid)  # type: ignore[no-untyped-call]


def bind(host: str, port: int) -> list[str]:
    return [f"[{host}]:{port}" if ":" in host else f"{host}:{port}"]


def server_config(settings: ServiceSettings, app: str) -> dict[str, Any]:
    """The settings and hooks for serving `app` ("package.module:app"), named after its package.

    Exports the multiprocess-metrics directory for the workers (see `metrics_directory`).
    """
    proc_name = app.partition(".")[0].replace("_", "-")
    metrics_dir = metrics_directory(settings, proc_name)

    def on_starting(server: Any) -> None:
        """Master start: an empty multiprocess directory, so old workers' samples do not count."""
        multiprocess_dir.reset(metrics_dir)
        server.log.info("metrics: wiped multiprocess directory %s", metrics_dir)

    def child_exit(server: Any, worker: Any) -> None:
        """A worker is gone: drop its live gauges, fold its other samples into the archive."""
        multiprocess_dir.archive_dead_worker(metrics_dir, worker.pid)

    listener: list[MetricsServer] = []

    def when_ready(server: Any) -> None:
        """The master serves /metrics on METRICS_PORT (every worker's samples), not the API."""
        listener.append(MetricsServer(settings.bind_host, settings.metrics_port).start())
        server.log.info(
            "metrics: serving /metrics on %s", bind(settings.bind_host, settings.metrics_port)[0]
        )

    def post_fork(server: Any, worker: Any) -> None:
        for metrics_server in listener:
            metrics_server.close_inherited()
        choose_metric_values()

    def on_exit(server: Any) -> None:
        for metrics_server in listener:
            metrics_server.stop()

    return {
        "wsgi_app": app,
        "proc_name": proc_name,
        "bind": bind(settings.bind_host, settings.port),
        "workers": settings.web_concurrency,
        "worker_tmp_dir": str(settings.worker_tmp_dir),
        "timeout": settings.worker_timeout,
        "graceful_timeout": settings.graceful_timeout,
        # Longer than the idle timeouts of common load balancers (AWS ALB 60 s): they close first.
        "keepalive": settings.keepalive,
        "max_requests": settings.max_requests,
        "max_requests_jitter": settings.max_requests_jitter,
        "forwarded_allow_ips": settings.forwarded_allow_ips,
        # The app writes one access line per request itself; gunicorn's own log is JSON too.
        "accesslog": None,
        "errorlog": "-",
        "loglevel": settings.log_level.lower(),
        "logconfig_dict": logging_config(settings.log_level),
        "logger_class": f"{__name__}.Logger",
        # gunicorn >= 25.1 opens a control socket by default ($XDG_RUNTIME_DIR/gunicorn.ctl or
        # $HOME/.gunicorn/gunicorn.ctl); the services do not use it, and containers run with a
        # read-only root file system.
        "control_socket_disable": True,
        "on_starting": on_starting,
        "child_exit": child_exit,
        "when_ready": when_ready,
        "post_fork": post_fork,
        "on_exit": on_exit,
    }
