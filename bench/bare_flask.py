"""The bare-framework baseline of the catalog: Flask with no hooks, metrics or access log, served
by the catalog's own gunicorn config (gthread workers).

`gunicorn --config python:meatyapis_flask.gunicorn_conf bench.bare_flask:app`

`GET /hello` answers what the catalog's does (a greeting and the caller's User-Agent).
"""

from __future__ import annotations

from typing import Any

from flask import Flask, request

app = Flask(__name__)


@app.get("/")
def ready() -> dict[str, str]:
    return {"status": "ready"}


@app.get("/hello")
def hello() -> dict[str, Any]:
    return {"message": "Hello, World!", "user_agent": request.headers.get("User-Agent", "")}
