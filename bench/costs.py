"""What each per-request piece costs, measured in one process (CPU time, best of 5 batches):
the access line by three ways of writing it, the metrics of each service's library as
documented and as the services use it, and the identity service's user-row read on the thread
pool or on the event loop.

In-process figures do not depend on wrk or on what else runs as much as a served benchmark;
`make bench` writes them into results.md (`uv run --frozen python -m bench.costs` prints them).
"""

from __future__ import annotations

import asyncio
import io
import logging
import logging.handlers
import os
import queue
import re
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

BATCHES = 5
LINES = 20_000
REQUESTS = 5_000


def best_cpu_us(
    run: Callable[[int], object], n: int, clock: Callable[[], float] = time.process_time
) -> float:
    """CPU µs per call, the best of BATCHES batches: of the whole process (every thread), or of
    the calling thread with `clock=time.thread_time`."""
    run(n // 10)
    best = float("inf")
    for _ in range(BATCHES):
        started = clock()
        run(n)
        best = min(best, (clock() - started) / n * 1e6)
    return best


def access_line_costs(folder: Path) -> list[list[object]]:
    """log_access to a file in append mode (as a container runtime's log), three handlers."""
    from meatyapis_chassis.logs import (
        BatchedStreamHandler,
        JsonFormatter,
        RequestIdFilter,
        log_access,
    )

    fields: dict[str, Any] = {
        "method": "GET", "path": "/hello", "status": 200, "duration_ms": 0.42, "route": "/hello",
        "client": "127.0.0.1", "user_agent": "wrk", "traceparent": None,
    }  # fmt: skip
    rows: list[list[object]] = []
    for name in ("StreamHandler: a write per line", "BatchedStreamHandler (the services')",
                 "QueueHandler + QueueListener thread"):  # fmt: skip
        stream = (folder / f"{len(rows)}.log").open("a")
        queued = name.startswith("Queue")
        target: logging.Handler = (
            BatchedStreamHandler(stream) if name.startswith("Batched") else
            logging.StreamHandler(stream)
        )  # fmt: skip
        target.setFormatter(JsonFormatter())
        lines: queue.SimpleQueue[logging.LogRecord] = queue.SimpleQueue()
        handler = logging.handlers.QueueHandler(lines) if queued else target
        handler.addFilter(RequestIdFilter())
        logger = logging.getLogger(f"bench.costs.{len(rows)}")
        logger.propagate = False
        logger.setLevel(logging.INFO)
        logger.addHandler(handler)

        def lines_of(n: int, logger: logging.Logger = logger) -> None:
            for _ in range(n):
                log_access(logger, **fields)

        def drained(
            n: int,
            lines: queue.SimpleQueue[logging.LogRecord] = lines,
            target: logging.Handler = target,
            queued: bool = queued,
        ) -> None:
            """The lines, and (queued) the listener thread until it has written them all."""
            listener = logging.handlers.QueueListener(lines, target)
            if queued:
                listener.start()
            lines_of(n)
            if queued:
                listener.stop()  # joins the thread once the queue is empty

        in_request = best_cpu_us(drained, LINES, time.thread_time)
        cpu = best_cpu_us(drained, LINES)
        logger.removeHandler(handler)
        target.close()
        stream.close()
        rows.append([name, f"{in_request:.1f}", f"{cpu:.1f}"])
    return rows


def _asgi_requests(
    app: Callable[..., Awaitable[None]], scope: dict[str, Any]
) -> Callable[[int], None]:
    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        return None

    async def many(n: int) -> None:
        for _ in range(n):
            await app(dict(scope), receive, send)

    loop = asyncio.new_event_loop()
    return lambda n: loop.run_until_complete(many(n))


def fastapi_metric_costs() -> list[list[object]]:
    """prometheus-fastapi-instrumentator's middleware around an endpoint that does nothing."""
    from meatyapis_chassis.gunicorn_conf import choose_metric_values
    from meatyapis_chassis.metrics import BUCKETS, UNRECORDED_PATHS, in_progress_gauge, new_registry
    from meatyapis_fastapi import metrics as ours
    from meatyapis_fastapi.app import create_app
    from prometheus_client import values
    from prometheus_fastapi_instrumentator import metrics
    from prometheus_fastapi_instrumentator.middleware import PrometheusInstrumentatorMiddleware

    service = create_app()  # its routes are what the middleware resolves the handler against

    async def endpoint(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})

    scope = {"type": "http", "method": "GET", "path": "/hello", "root_path": "",
             "headers": [(b"user-agent", b"wrk")], "query_string": b"", "app": service}  # fmt: skip
    library_registry = new_registry()
    options = {
        "should_group_status_codes": False,
        "should_ignore_untemplated": False,
        "should_group_untemplated": True,
    }
    documented = PrometheusInstrumentatorMiddleware(
        endpoint,
        **options,
        should_instrument_requests_inprogress=True,
        inprogress_labels=True,
        excluded_handlers=[f"^{path}$" for path in UNRECORDED_PATHS],
        instrumentations=[
            metrics.latency(buckets=BUCKETS, registry=library_registry),
            metrics.requests(registry=library_registry),
        ],
        registry=library_registry,
    )

    def configured() -> Any:
        registry = new_registry()
        return ours.Instrumentation(
            endpoint,
            in_progress=ours.InProgress(in_progress_gauge(registry)),
            **options,
            excluded_handlers=["^(?:" + "|".join(map(re.escape, UNRECORDED_PATHS)) + ")$"],
            instrumentations=[ours.record_requests(registry)],
            registry=registry,
        )

    multiprocess = configured()
    values.ValueClass = values.MutexValue  # what a single worker without a directory uses
    in_memory = configured()
    choose_metric_values()  # multiprocess values again, for what is measured next
    bare = best_cpu_us(_asgi_requests(endpoint, scope), REQUESTS)
    return [
        [name, f"{best_cpu_us(_asgi_requests(app, scope), REQUESTS) - bare:.1f}"]
        for name, app in (
            ("as documented (metrics.latency + metrics.requests, a pattern per path)", documented),
            ("as the identity service uses it (route and label children kept)", multiprocess),
            ("the same with in-memory values (one process, no multiprocess directory)", in_memory),
        )
    ]


def flask_metric_costs(folder: Path) -> list[list[object]]:
    """The catalog's `/hello` in process, with and without its metrics (exporter + gauge)."""
    from meatyapis_chassis.migrations import upgrade
    from meatyapis_flask.app import create_app
    from meatyapis_flask.settings import Settings

    url = f"sqlite:///{folder / 'catalog.db'}"
    upgrade(url, "meatyapis_flask")
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/hello", "SERVER_NAME": "127.0.0.1",
               "SERVER_PORT": "8080", "SERVER_PROTOCOL": "HTTP/1.1", "wsgi.url_scheme": "http",
               "HTTP_USER_AGENT": "wrk", "REMOTE_ADDR": "127.0.0.1"}  # fmt: skip
    costs = {}
    for metrics in (True, False):
        app = create_app(Settings(database_url=url, metrics_enabled=metrics, log_level="WARNING"))

        def requests(n: int, app: Any = app) -> None:
            for _ in range(n):
                body = app({**environ, "wsgi.input": io.BytesIO(), "wsgi.errors": sys.stderr},
                           lambda status, headers, exc_info=None: None)  # fmt: skip
                for _chunk in body:
                    pass
                body.close()

        costs[metrics] = best_cpu_us(requests, REQUESTS)
    return [["prometheus-flask-exporter + the in-progress gauge (the catalog's hooks)",
             f"{costs[True] - costs[False]:.1f}"]]  # fmt: skip


def user_read_costs(folder: Path) -> list[list[object]]:
    """The identity service's `GET /users/me` read: one row by primary key (SQLite)."""
    from meatyapis_chassis.database import Database
    from meatyapis_chassis.migrations import upgrade
    from meatyapis_fastapi.models import User
    from starlette.concurrency import run_in_threadpool

    path = folder / "identity.db"
    upgrade(f"sqlite:///{path}", "meatyapis_fastapi")
    database = Database(f"sqlite:///{path}")
    with database.write() as session:
        user = User(
            username="costs",
            username_key="costs",
            email="costs@example.com",
            password_hash="-",  # noqa: S106 - never logs in
        )
        session.add(user)
        session.flush()
        user_id = user.id

    def read() -> object:
        with database.session() as session:
            return session.get(User, user_id)

    loop = asyncio.new_event_loop()

    def on_loop(coroutine: Callable[[], Awaitable[object]]) -> Callable[[int], None]:
        async def many(n: int) -> None:
            for _ in range(n):
                await coroutine()

        return lambda n: loop.run_until_complete(many(n))

    rows = [
        ["a hop to the thread pool doing nothing (FastAPI's `def` endpoints and dependencies)",
         f"{best_cpu_us(on_loop(lambda: run_in_threadpool(lambda: None)), REQUESTS):.1f}"],
        ["the read, in the calling thread (sync SQLAlchemy, sqlite3)",
         f"{best_cpu_us(lambda n: [read() for _ in range(n)], REQUESTS):.1f}"],
        ["the read in one thread-pool hop (what the service does)",
         f"{best_cpu_us(on_loop(lambda: run_in_threadpool(read)), REQUESTS):.1f}"],
    ]  # fmt: skip
    try:
        from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

        engine = create_async_engine(f"sqlite+aiosqlite:///{path}")
    except ImportError as err:  # aiosqlite and greenlet are in the dev dependencies
        rows.append(["SQLAlchemy asyncio + aiosqlite", f"not measured ({type(err).__name__})"])
    else:
        sessions = async_sessionmaker(engine, expire_on_commit=False)

        async def read_async() -> object:
            async with sessions() as session:
                return await session.get(User, user_id)

        rows.append(["SQLAlchemy asyncio + aiosqlite on the event loop",
                     f"{best_cpu_us(on_loop(read_async), REQUESTS):.1f}"])  # fmt: skip
        loop.run_until_complete(engine.dispose())
    database.dispose()
    return rows


def tables() -> list[tuple[str, list[str], list[list[object]]]]:
    folder = Path(tempfile.mkdtemp(prefix="meatyapis-costs-"))
    metrics_dir = folder / "metrics"
    metrics_dir.mkdir()
    os.environ.update(
        PROMETHEUS_MULTIPROC_DIR=str(metrics_dir),
        DATABASE_URL=f"sqlite:///{folder / 'identity-app.db'}",
        TOKEN_SECRET="costs-" + "x" * 40,
        LOG_LEVEL="WARNING",
    )
    from meatyapis_chassis.gunicorn_conf import choose_metric_values

    choose_metric_values()  # multiprocess values, as in a gunicorn worker
    return [
        ("Per-request cost: the access line (log_access, JSON, to a file in append mode)",
         ["handler", "µs in the request's thread", "CPU µs per line, all threads"],
         access_line_costs(folder)),
        ("Per-request cost: the metrics, multiprocess mode unless noted (CPU µs over the same "
         "request without them)", ["library, used", "CPU µs per request"],
         fastapi_metric_costs() + flask_metric_costs(folder)),
        ("Per-request cost: the identity service's user-row read, SQLite",
         ["way", "CPU µs per request"], user_read_costs(folder)),
    ]  # fmt: skip


def main() -> int:
    for title, header, rows in tables():
        print(f"## {title}\n")
        print("| " + " | ".join(header) + " |")
        print("|" + "|".join("---" for _ in header) + "|")
        for row in rows:
            print("| " + " | ".join(str(cell) for cell in row) + " |")
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
