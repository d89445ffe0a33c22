"""gunicorn configuration (`gunicorn -c python:meatyapis_fastapi.gunicorn_conf`), from Settings.

Runs in the master: validates the environment before any worker starts, wipes the Prometheus
multiprocess directory, and retires dead workers (their live gauges disappear, their counters
join an archive file, so the directory stays bounded).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from meatyapis_fastapi.config import load_settings
from meatyapis_fastapi.logging_config import logging_dict
from meatyapis_fastapi.metrics_archive import archive_dead_worker

settings = load_settings()
# Workers read the environment again: hand them the (possibly DEV_MODE-generated) signing key,
# so a token signed by one worker verifies in every other.
os.environ["TOKEN_SECRET"] = settings.token_secret.get_secret_value()
metrics_dir = settings.prometheus_multiproc_dir or Path(
    tempfile.mkdtemp(prefix="meatyapis-fastapi-metrics-")
)
os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)

wsgi_app = "meatyapis_fastapi.main:app"
worker_class = "meatyapis_fastapi.uvicorn_worker.UvicornWorker"
bind = [f"{settings.bind_host}:{settings.port}"]
workers = settings.web_concurrency
worker_tmp_dir = settings.worker_tmp_dir if os.path.isdir(settings.worker_tmp_dir) else None
keepalive = settings.keepalive  # above common load balancer idle timeouts (60 s)
graceful_timeout = settings.graceful_timeout
timeout = 30
max_requests = settings.max_requests
max_requests_jitter = settings.max_requests_jitter
forwarded_allow_ips = settings.forwarded_allow_ips
proc_name = "meatyapis-fastapi"

accesslog = None  # the application logs one JSON access line per request
errorlog = "-"
loglevel = settings.log_level.lower()
logconfig_dict = logging_dict(settings.log_level)

# gunicorn 27's control socket would be created in the working directory (read-only in
# containers); the service does not use it.
control_socket_disable = True


def on_starting(server: Any) -> None:
    """Start every run with an empty metrics directory (stale files would skew the totals)."""
    metrics_dir.mkdir(parents=True, exist_ok=True)
    for entry in metrics_dir.iterdir():
        if entry.is_dir():
            shutil.rmtree(entry)
        else:
            entry.unlink()


def child_exit(server: Any, worker: Any) -> None:
    archive_dead_worker(metrics_dir, worker.pid)
