"""The identity service's serving config against plain uvicorn and the raw ASGI ceiling."""

from __future__ import annotations

from pathlib import Path

from bench import services
from bench.report import Report
from bench.rounds import WORKERS, Target, alternate, row, rps, running


def serving(report: Report, work: Path) -> None:
    rows: list[list[object]] = []
    identity_db = services.fastapi_database(work / "identity-serving")
    gunicorn = services.fastapi_gunicorn(
        "fastapi-gunicorn", work / "a-gunicorn",
        services.fastapi_env(work / "a-gunicorn", identity_db, workers=WORKERS),
    )  # fmt: skip
    plain = services.fastapi_uvicorn(
        "fastapi-uvicorn", work / "a-uvicorn", services.fastapi_env(work / "a-uvicorn", identity_db)
    )
    raw = services.raw_asgi_gunicorn(
        "raw-asgi", work / "raw", services.fastapi_env(work / "raw", identity_db, workers=WORKERS)
    )
    with running(gunicorn, plain, raw):
        results = alternate(report, [Target(s.name, s, "/hello") for s in (gunicorn, plain, raw)])
    base = results[gunicorn.name]
    for server, name in (
        (f"repo config (gunicorn + {WORKERS} uvicorn workers, uvloop, httptools)", gunicorn.name),
        ("plain `uvicorn meatyapis_fastapi.asgi:app` (1 process)", plain.name),
        ("raw ASGI hello-world, same gunicorn + uvicorn worker config", raw.name),
    ):
        rows.append(row("FastAPI", "/hello", server, results[name], base))
    report.table(
        "Serving: the identity service's config, plain uvicorn, and the raw ASGI ceiling",
        ["service", "endpoint", "server", "req/s", "vs repo config", "p99 ms", "CPU µs/req",
         "wrk errors"],
        rows,
    )  # fmt: skip
    report.note(
        f"The identity service reaches {rps(base) / rps(results[raw.name]):.0%} of the raw ASGI "
        "ceiling on the same server config.\n"
    )
