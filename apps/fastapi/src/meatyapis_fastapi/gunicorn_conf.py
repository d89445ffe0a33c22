"""gunicorn configuration (`gunicorn -c python:meatyapis_fastapi.gunicorn_conf`), from Settings.

Runs in the master: validates the environment before any worker starts, and hands the workers
the signing key. What both services share (bind, workers, timeouts, JSON logs, the
metrics-directory hooks) comes from the chassis; the uvicorn worker class is the service's own.
"""

from __future__ import annotations

import os

from meatyapis_chassis.gunicorn_conf import server_config, settings_or_exit

from meatyapis_fastapi.settings import load_settings, signing_key_environment

settings = settings_or_exit(load_settings)
os.environ.update(signing_key_environment(settings))
globals().update(server_config(settings, "meatyapis_fastapi.asgi:app"))
worker_class = "meatyapis_fastapi.uvicorn_worker.UvicornWorker"
