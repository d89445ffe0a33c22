"""`make bench`: instrumentation overhead, serving modes, the ASGI ceiling, /metrics scrapes,
the multiprocess directory under worker recycling, and start-up time — written to results.md.

Every comparison runs its servers side by side on 127.0.0.1 and drives them with wrk in
alternating order (A B, then B A, …) for several rounds; tables show medians. Tunable through
the environment: BENCH_ROUNDS (5), BENCH_SECONDS (6), BENCH_CONNECTIONS (32),
BENCH_SCRAPE_REQUESTS (100000).
"""

from __future__ import annotations

import dataclasses
import importlib.metadata
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from bench import services, wrk
from bench.procfs import tree_cpu_seconds
from bench.services import Service
from tests.support.net import http_status

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "6"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "32"))
THREADS = 2
TIMEOUT = 10.0  # wrk's per-request timeout (s); failures are counted in the tables, not fatal
WORKERS = 2  # one per core on the reference machine; the same for every server compared
SCRAPE_REQUESTS = int(os.environ.get("BENCH_SCRAPE_REQUESTS", "100000"))
SCRAPE_WORKERS = 4
SCRAPES = 200
RECYCLE_MAX_REQUESTS = 50
RECYCLE_CHECKPOINTS = 6
RECYCLE_CHUNK_SECONDS = 5.0
STARTS = 3
RESULTS = Path(__file__).with_name("results.md")
# The overhead pairs run without worker recycling: a worker re-importing the app mid-round costs
# about a second of CPU and would land in one side's numbers by chance.
NO_RECYCLING = {"MAX_REQUESTS": "0"}
PACKAGES = (
    "flask", "werkzeug", "gunicorn", "fastapi", "starlette", "uvicorn", "uvicorn-worker",
    "uvloop", "httptools", "sqlalchemy", "prometheus-client", "prometheus-flask-exporter",
    "prometheus-fastapi-instrumentator",
)  # fmt: skip


@dataclass(frozen=True)
class Target:
    label: str
    server: Service
    path: str
    headers: tuple[str, ...] = ()

    @property
    def url(self) -> str:
        return self.server.url + self.path


@dataclass
class Report:
    sections: list[str] = field(default_factory=list)
    commands: set[str] = field(default_factory=set)
    verdicts: list[str] = field(default_factory=list)

    def table(self, title: str, header: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
        lines = [f"## {title}", "", "| " + " | ".join(header) + " |"]
        lines.append("|" + "|".join("---" for _ in header) + "|")
        lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
        text = "\n".join(lines) + "\n"
        print(text, flush=True)
        self.sections.append(text)

    def note(self, text: str) -> None:
        print(text, flush=True)
        self.sections.append(text + "\n")


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def alternate(report: Report, targets: Sequence[Target]) -> dict[str, list[wrk.WrkResult]]:
    """Warm every target up, then ROUNDS rounds of wrk on each, in alternating order."""
    for target in targets:
        wrk.run(target.url, seconds=2, connections=CONNECTIONS, headers=target.headers)
    results: dict[str, list[wrk.WrkResult]] = {t.label: [] for t in targets}
    for round_no in range(ROUNDS):
        order = targets if round_no % 2 == 0 else list(reversed(targets))
        for target in order:
            cpu_before = tree_cpu_seconds(target.server.process.pid)
            result = wrk.run(
                target.url,
                seconds=SECONDS,
                connections=CONNECTIONS,
                threads=THREADS,
                timeout=TIMEOUT,
                headers=target.headers,
            )
            cpu = tree_cpu_seconds(target.server.process.pid) - cpu_before
            result = dataclasses.replace(result, server_cpu_s=cpu)
            log(f"round {round_no + 1}/{ROUNDS} {target.label}: {result.summary()}")
            results[target.label].append(result)
            report.commands.add(_generic(result.command))
    return results


def _generic(command: str) -> str:
    command = re.sub(r"Bearer [A-Za-z0-9._-]+", "Bearer <token>", command)
    words = command.split()
    return " ".join([*words[:-1], "http://127.0.0.1:<port>" + _path(words[-1])])


def _path(url: str) -> str:
    return "/" + url.split("/", 3)[3] if url.count("/") >= 3 else "/"


def rps(results: Sequence[wrk.WrkResult]) -> float:
    return median([r.rps for r in results])


def p99(results: Sequence[wrk.WrkResult]) -> float:
    return median([r.latency_ms["p99"] for r in results])


def cpu_us(results: Sequence[wrk.WrkResult]) -> float:
    """Median server CPU per request (µs): immune to how busy the rest of the machine is."""
    return median([r.cpu_us_per_request for r in results])


def errors(results: Sequence[wrk.WrkResult]) -> int:
    """Non-2xx/3xx answers and socket errors (timeouts included) over all rounds."""
    return sum(r.failures for r in results)


@contextmanager
def running(*servers: Service) -> Iterator[tuple[Service, ...]]:
    with ExitStack() as stack:
        for server in servers:
            log(f"starting {server.name}: {' '.join(server.process.argv[1:])}")
            stack.enter_context(server)
        yield servers


def on_and_off(
    name: str,
    start: Callable[[str, Path, dict[str, str]], Service],
    env_of: Callable[..., dict[str, str]],
    work: Path,
    database_url: str,
) -> tuple[Service, Service]:
    """The same service twice, instrumented and with METRICS_ENABLED=false."""

    def one(side: str, metrics: bool) -> Service:
        folder = work / f"{name}-{side}"
        env = env_of(folder, database_url, workers=WORKERS, metrics=metrics)
        return start(f"{name}-{side}", folder, {**env, **NO_RECYCLING})

    return one("on", True), one("off", False)


def instrumentation_overhead(report: Report, work: Path) -> None:
    rows: list[list[object]] = []
    flask_db = services.flask_database(work / "catalog")
    product_id = services.seed_product(flask_db)
    on, off = on_and_off("flask", services.flask_gunicorn, services.flask_env, work, flask_db)
    with running(on, off):
        for path, what in (("/hello", "/hello"), (f"/products/{product_id}", "GET /products/<id>")):
            results = alternate(report, [Target("on", on, path), Target("off", off, path)])
            rows.append(_overhead_row(report, "Flask (gunicorn gthread)", what, results))

    identity_db = services.fastapi_database(work / "identity")
    on, off = on_and_off(
        "fastapi", services.fastapi_gunicorn, services.fastapi_env, work, identity_db
    )
    with running(on, off):
        token = services.register_and_login(on)
        auth = (f"Authorization: Bearer {token}",)
        for path, what, headers in (
            ("/hello", "/hello", ()),
            ("/users/me", "GET /users/me (JWT + user row)", auth),
        ):
            results = alternate(
                report,
                [Target("on", on, path, headers), Target("off", off, path, headers)],
            )
            rows.append(
                _overhead_row(report, "FastAPI (gunicorn + uvicorn workers)", what, results)
            )
    report.table(
        f"Instrumentation overhead ({WORKERS} workers each, MAX_REQUESTS=0; metrics on vs "
        "METRICS_ENABLED=false)",
        ["service", "endpoint", "req/s on", "req/s off", "ratio (≥ 0.90)",
         "p99 on ms", "p99 off ms", "p99 ratio (≤ 1.10)", "CPU µs/req on", "CPU µs/req off",
         "CPU efficiency off/on (≥ 0.90)", "wrk errors on/off", "target"],
        rows,
    )  # fmt: skip


def _overhead_row(
    report: Report, service: str, what: str, results: dict[str, list[wrk.WrkResult]]
) -> list[object]:
    on_rps, off_rps = rps(results["on"]), rps(results["off"])
    on_p99, off_p99 = p99(results["on"]), p99(results["off"])
    on_cpu, off_cpu = cpu_us(results["on"]), cpu_us(results["off"])
    ratio, p99_ratio = on_rps / off_rps, on_p99 / off_p99
    met = ratio >= 0.90 and p99_ratio <= 1.10
    verdict = "met" if met else "MISSED"
    report.verdicts.append(
        f"overhead {service} {what}: {verdict} (throughput ratio {ratio:.2f}, p99 ratio "
        f"{p99_ratio:.2f}; CPU per request off/on {off_cpu / on_cpu:.2f})"
    )
    return [service, what, f"{on_rps:.0f}", f"{off_rps:.0f}", f"{ratio:.2f}",
            f"{on_p99:.1f}", f"{off_p99:.1f}", f"{p99_ratio:.2f}",
            f"{on_cpu:.0f}", f"{off_cpu:.0f}", f"{off_cpu / on_cpu:.2f}",
            f"{errors(results['on'])}/{errors(results['off'])}", verdict]  # fmt: skip


def _serving_row(
    service: str, server: str, results: Sequence[wrk.WrkResult], base: float
) -> list[object]:
    return [service, server, f"{rps(results):.0f}", f"{p99(results):.1f}",
            f"{rps(results) / base:.2f}", f"{cpu_us(results):.0f}", errors(results)]  # fmt: skip


def serving_modes(report: Report, work: Path) -> None:
    rows: list[list[object]] = []
    flask_db = services.flask_database(work / "catalog-serving")
    gunicorn = services.flask_gunicorn(
        "flask-gunicorn", work / "f-gunicorn",
        services.flask_env(work / "f-gunicorn", flask_db, workers=WORKERS),
    )  # fmt: skip
    dev = services.flask_devserver(
        "flask-app-run", work / "f-dev", services.flask_env(work / "f-dev", flask_db)
    )
    with running(gunicorn, dev):
        results = alternate(
            report, [Target("gunicorn", gunicorn, "/hello"), Target("dev", dev, "/hello")]
        )
    base = rps(results["gunicorn"])
    rows.append(_serving_row("Flask", f"repo gunicorn config ({WORKERS} gthread workers)",
                             results["gunicorn"], base))  # fmt: skip
    rows.append(_serving_row("Flask", "app.run(threaded=True) (Werkzeug dev server)",
                             results["dev"], base))  # fmt: skip

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
        results = alternate(
            report,
            [
                Target("gunicorn", gunicorn, "/hello"),
                Target("uvicorn", plain, "/hello"),
                Target("raw", raw, "/hello"),
            ],
        )
    base = rps(results["gunicorn"])
    rows.append(_serving_row(
        "FastAPI", f"repo config (gunicorn + {WORKERS} uvicorn workers, uvloop, httptools)",
        results["gunicorn"], base,
    ))  # fmt: skip
    rows.append(_serving_row("FastAPI", "plain `uvicorn meatyapis_fastapi.asgi:app` (1 process)",
                             results["uvicorn"], base))  # fmt: skip
    rows.append(_serving_row("ceiling", "raw ASGI hello-world, same gunicorn + uvicorn worker "
                             "config", results["raw"], base))  # fmt: skip
    report.table(
        "Serving: production config vs the source documents' way, and the ASGI ceiling "
        "(GET /hello)",
        ["service", "server", "req/s", "p99 ms", "vs repo config", "CPU µs/req", "wrk errors"],
        rows,
    )
    ceiling = base / rps(results["raw"])
    report.note(
        f"FastAPI reaches {ceiling:.0%} of the raw ASGI ceiling on the same server config.\n"
    )


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
            response = client.get(metrics_url)
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


def environment() -> str:
    versions = []
    for package in PACKAGES:
        try:
            versions.append(f"{package} {importlib.metadata.version(package)}")
        except importlib.metadata.PackageNotFoundError:
            versions.append(f"{package} (not installed)")
    wrk_version = subprocess.run(
        ["wrk", "-v"], capture_output=True, text=True, check=False
    ).stdout.splitlines()[0]
    cpu = next(
        (line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
         if line.startswith("model name")),
        platform.processor(),
    )  # fmt: skip
    return "\n".join(
        [
            f"- Machine: {os.cpu_count()} cores ({cpu}), {platform.system()} {platform.release()}; "
            f"load average at start {os.getloadavg()[0]:.2f} (the CPU is shared with wrk and "
            "with whatever else runs: compare ratios, not absolute numbers)",
            f"- Python {platform.python_version()}; {'; '.join(versions)}",
            f"- {wrk_version}",
            f"- wrk: {THREADS} threads, {CONNECTIONS} connections, {ROUNDS} rounds x "
            f"{SECONDS:g} s per target after a 2 s warm-up, alternating order; medians",
            f"- Servers: {WORKERS} workers each unless noted (gthread with 4 threads for Flask), "
            "SQLite databases in a temporary folder, LOG_LEVEL=INFO (one JSON access line per "
            "request, as in production)",
        ]
    )


def write_results(report: Report, started: float, env_text: str) -> None:
    server_commands = [
        "Flask, repo config: `meatyapis-flask serve` (= `python -m gunicorn --config "
        "python:meatyapis_flask.gunicorn_conf`)",
        "Flask, source way: `python bench/flask_devserver.py` (`create_app().run(threaded=True)`)",
        "FastAPI, repo config: `meatyapis-fastapi serve` (= `python -m gunicorn --config "
        "python:meatyapis_fastapi.gunicorn_conf`)",
        "FastAPI, source way: `python -m uvicorn meatyapis_fastapi.asgi:app --host 127.0.0.1 "
        "--port <port> --no-access-log`",
        "Ceiling: `python -m gunicorn --config python:meatyapis_fastapi.gunicorn_conf "
        "bench.raw_asgi:app`",
        "Environment of every server: PORT, BIND_HOST=127.0.0.1, WEB_CONCURRENCY, DATABASE_URL "
        "(sqlite), PROMETHEUS_MULTIPROC_DIR, METRICS_ENABLED, LOG_LEVEL=INFO; FastAPI also "
        "TOKEN_SECRET; the recycling run MAX_REQUESTS/MAX_REQUESTS_JITTER",
    ]
    text = [
        "# Benchmark results",
        "",
        "Written by `make bench` (`uv run --frozen python -m bench.run`); numbers from one run on "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime(started))}, "
        f"{(time.time() - started) / 60:.1f} min.",
        "",
        env_text,
        "",
        *report.sections,
        "## Targets",
        "",
        *[f"- {v}" for v in report.verdicts],
        "",
        "## Commands",
        "",
        *[f"- {c}" for c in server_commands],
        "- wrk:",
        "",
        "```",
        *sorted(report.commands),
        "```",
        "",
    ]
    notes = Path(__file__).with_name("notes.md")
    if notes.exists():
        text += [notes.read_text()]
    RESULTS.write_text("\n".join(text))
    log(f"wrote {RESULTS}")


def main() -> int:
    started = time.time()
    env_text = environment()
    print(env_text, flush=True)
    report = Report()
    with tempfile.TemporaryDirectory(prefix="meatyapis-bench-") as tmp:
        work = Path(tmp)
        sections = os.environ.get("BENCH_SECTIONS", "overhead,serving,scrape,recycle,startup")
        chosen = set(sections.split(","))
        for name, section in (
            ("overhead", instrumentation_overhead),
            ("serving", serving_modes),
            ("scrape", metrics_scrapes),
            ("recycle", recycling),
            ("startup", start_up),
        ):
            if name in chosen:
                log(f"--- {name}")
                section(report, work)
    write_results(report, started, env_text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
