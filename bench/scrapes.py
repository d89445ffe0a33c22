"""/metrics scrapes after many requests, and the multiprocess directory while workers recycle."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from bench import services, wrk
from bench.report import Report, log
from bench.rounds import CONNECTIONS, WORKERS, running
from bench.services import Service

SCRAPE_REQUESTS = int(os.environ.get("BENCH_SCRAPE_REQUESTS", "100000"))
SCRAPE_WORKERS = 4
SCRAPES = 200
RECYCLE_MAX_REQUESTS = 50
RECYCLE_CHECKPOINTS = 6
RECYCLE_CHUNK_SECONDS = 5.0


@dataclass(frozen=True)
class Scrapes:
    p50_ms: float
    p99_ms: float
    body_bytes: int
    series: int
    failed: int  # scrapes answered with anything but 200


def scrape_times(metrics_url: str, count: int) -> Scrapes:
    """`count` sequential GET /metrics: latency percentiles, body size, series, failures."""
    times = []
    body = ""
    failed = 0
    with httpx.Client(timeout=30) as client:
        for _ in range(count):
            started = time.perf_counter()
            try:
                response = client.get(metrics_url)
            except httpx.TransportError as err:  # counted, as Prometheus counts a failed scrape
                failed += 1
                log(f"scrape failed: {err!r}")
                continue
            times.append((time.perf_counter() - started) * 1000)
            if response.status_code == 200:
                body = response.text
            else:
                failed += 1
                log(f"scrape answered {response.status_code}: {response.text[:200]}")
    times.sort()
    series = sum(1 for line in body.splitlines() if line and not line.startswith("#"))
    p99_at = min(len(times) - 1, int(len(times) * 0.99))
    return Scrapes(times[len(times) // 2], times[p99_at], len(body), series, failed)


def hello_count(metrics_url: str) -> float:
    """GET /hello 200s counted by http_request_duration_seconds_count, all workers together."""
    for _ in range(3):  # a failed scrape is counted in the tables; here only the count matters
        response = httpx.get(metrics_url, timeout=30)
        if response.status_code == 200:
            break
    text = response.text if response.status_code == 200 else ""
    total = 0.0
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            labels = sample.labels
            if (
                sample.name == "http_request_duration_seconds_count"
                and labels.get("handler") == "/hello"
                and labels.get("status") == "200"
            ):
                total += sample.value
    return total


def directory_size(path: Path | None) -> tuple[int, int, int]:
    """Files, apparent bytes and allocated bytes of the multiprocess directory."""
    assert path is not None
    files = [p for p in path.iterdir() if p.is_file()]
    return (
        len(files),
        sum(p.stat().st_size for p in files),
        sum(p.stat().st_blocks * 512 for p in files),
    )


def worker_boots(server: Service) -> int:
    return server.process.log_path.read_text(errors="replace").count("Booting worker")


def drive(server: Service, path: str, requests: int, chunk_seconds: float = 15.0) -> int:
    """wrk /hello in chunks until `requests` were answered (at most 40 chunks)."""
    done = 0
    for _ in range(40):
        result = wrk.run(server.url + path, seconds=chunk_seconds, connections=CONNECTIONS)
        done += result.requests - result.errors["status"]
        if done >= requests:
            break
    return done


def metrics_scrapes(report: Report, work: Path) -> None:
    rows = []
    starters: list[tuple[str, Callable[[str, Path, dict[str, str]], Service], str]] = [
        ("Flask", services.flask_gunicorn, services.flask_database(work / "catalog-scrape")),
        ("FastAPI", services.fastapi_gunicorn, services.fastapi_database(work / "identity-scrape")),
    ]
    for service, start, db in starters:
        env_of = services.flask_env if service == "Flask" else services.fastapi_env
        folder = work / f"scrape-{service}"
        server = start(f"{service}-scrape", folder, env_of(folder, db, workers=SCRAPE_WORKERS))
        with running(server):
            served = drive(server, "/hello", SCRAPE_REQUESTS)
            scrapes = scrape_times(server.metrics_url, SCRAPES)
            files, apparent, allocated = directory_size(server.metrics_dir)
            rows.append([service, SCRAPE_WORKERS, served, worker_boots(server) - SCRAPE_WORKERS,
                         f"{scrapes.p50_ms:.1f}", f"{scrapes.p99_ms:.1f}", scrapes.failed,
                         f"{scrapes.body_bytes / 1024:.0f}", scrapes.series, files,
                         f"{apparent / 1024:.0f}", f"{allocated / 1024:.0f}"])  # fmt: skip
    report.table(
        f"/metrics scrape after {SCRAPE_REQUESTS} requests ({SCRAPES} sequential scrapes)",
        ["service", "workers", "requests served", "worker recycles (default MAX_REQUESTS)",
         "scrape p50 ms", "scrape p99 ms", "failed scrapes", "body KiB", "series",
         "files in multiproc dir",
         "dir KiB (apparent)", "dir KiB (allocated)"],
        rows,
    )  # fmt: skip


def recycling(report: Report, work: Path) -> None:
    rows = []
    for service in ("Flask", "FastAPI"):
        folder = work / f"recycle-{service}"
        recycle = {"MAX_REQUESTS": str(RECYCLE_MAX_REQUESTS), "MAX_REQUESTS_JITTER": "10"}
        if service == "Flask":
            db = services.flask_database(folder / "db")
            server = services.flask_gunicorn(
                "flask-recycle", folder,
                {**services.flask_env(folder, db, workers=WORKERS), **recycle},
            )  # fmt: skip
        else:
            db = services.fastapi_database(folder / "db")
            server = services.fastapi_gunicorn(
                "fastapi-recycle", folder,
                {**services.fastapi_env(folder, db, workers=WORKERS), **recycle},
            )  # fmt: skip
        served = 0
        with running(server):
            for checkpoint in range(1, RECYCLE_CHECKPOINTS + 1):
                result = wrk.run(
                    server.url + "/hello", seconds=RECYCLE_CHUNK_SECONDS, connections=8
                )
                served += result.requests - result.errors["status"]
                files, apparent, allocated = directory_size(server.metrics_dir)
                if checkpoint in (1, RECYCLE_CHECKPOINTS // 2, RECYCLE_CHECKPOINTS):
                    scrapes = scrape_times(server.metrics_url, 20)
                    rows.append([service, f"{checkpoint * RECYCLE_CHUNK_SECONDS:.0f}",
                                 worker_boots(server) - WORKERS, files, f"{apparent / 1024:.0f}",
                                 f"{allocated / 1024:.0f}", scrapes.series,
                                 f"{scrapes.p50_ms:.1f}", scrapes.failed, served,
                                 f"{hello_count(server.metrics_url):.0f}"])  # fmt: skip
    report.table(
        f"Multiprocess directory while workers recycle (MAX_REQUESTS={RECYCLE_MAX_REQUESTS}, "
        f"{WORKERS} workers, wrk -c8 on /hello)",
        ["service", "seconds of load", "workers recycled", "files", "KiB (apparent)",
         "KiB (allocated)", "series", "scrape p50 ms", "failed scrapes (of 20)",
         "/hello answered (wrk)",
         "/hello counted by /metrics"],
        rows,
    )  # fmt: skip
