"""Start-up: process start to the first /readyz 200."""

from __future__ import annotations

import time
from pathlib import Path

from bench import services
from bench.report import Report
from bench.rounds import WORKERS, median
from bench.services import Service
from tests.support.net import http_status

STARTS = 3


def start_up(report: Report, work: Path) -> None:
    rows = []
    flask_db = services.flask_database(work / "catalog-start")
    identity_db = services.fastapi_database(work / "identity-start")
    for service in ("Flask", "FastAPI"):
        times = []
        for attempt in range(STARTS):
            folder = work / f"start-{service}-{attempt}"
            if service == "Flask":
                server = services.flask_gunicorn(
                    "flask-start", folder, services.flask_env(folder, flask_db, workers=WORKERS)
                )
            else:
                server = services.fastapi_gunicorn(
                    "fastapi-start", folder,
                    services.fastapi_env(folder, identity_db, workers=WORKERS),
                )  # fmt: skip
            times.append(time_to_ready(server))
        rows.append([service, WORKERS, STARTS, f"{median(times):.2f}", f"{min(times):.2f}",
                     f"{max(times):.2f}"])  # fmt: skip
    report.table(
        "Start-up: process start to the first /readyz 200 (`meatyapis-<app> serve`)",
        ["service", "workers", "starts", "median s", "min s", "max s"],
        rows,
    )


def time_to_ready(server: Service) -> float:
    server.process.ready_url = None  # measured here instead
    started = time.monotonic()
    with server:
        deadline = started + 90
        while time.monotonic() < deadline:
            if http_status(server.url + "/readyz", timeout=1) == 200:
                return time.monotonic() - started
            time.sleep(0.02)
    raise TimeoutError(f"{server.name} not ready within 90 s")
