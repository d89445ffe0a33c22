"""`make bench`: both services against their bare frameworks and without metrics, the serving
modes and the ASGI ceiling, one pod of several workers against single-worker pods, memory,
/metrics scrapes, the multiprocess directory under worker recycling, and start-up time —
written to results.md with every target met or missed.

Every comparison runs its servers side by side on 127.0.0.1 and drives them with wrk in
alternating order (A B, then B A, …) for several rounds; tables show medians. Tunable through
the environment: BENCH_ROUNDS (5), BENCH_SECONDS (5), BENCH_CONNECTIONS (32),
BENCH_SCRAPE_REQUESTS (100000), BENCH_SECTIONS (all: costs,frameworks,serving,deployment,
scrape,recycle,startup). A missed target is traced with py-spy (bench/profile.py) into results.md.
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

from bench import profile, services, wrk
from bench.procfs import rss_mib, tree_cpu_seconds, tree_pids
from bench.services import Service
from tests.support.net import http_status

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "5"))
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
    verdicts: list[Verdict] = field(default_factory=list)
    profiles: dict[str, list[tuple[str, profile.Profile]]] = field(default_factory=dict)

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


@dataclass
class Verdict:
    """One target of results.md: a ratio of medians, its per-round ratios, met or not."""

    target: str
    ratio: float
    goal: float
    rounds: list[float]
    detail: str = ""
    profile: tuple[str, str, str] | None = None  # (app, bare counterpart, path) when missed

    @property
    def met(self) -> bool:
        return self.ratio >= self.goal


def round_ratios(a: Sequence[wrk.WrkResult], b: Sequence[wrk.WrkResult]) -> list[float]:
    """A's throughput over B's in each round (the two ran back to back in that round)."""
    return [x.rps / y.rps if y.rps else 0.0 for x, y in zip(a, b, strict=True)]


def ratio_verdict(
    report: Report,
    target: str,
    goal: float,
    a: Sequence[wrk.WrkResult],
    b: Sequence[wrk.WrkResult],
    profile: tuple[str, str, str] | None = None,
) -> Verdict:
    verdict = Verdict(
        target,
        rps(a) / rps(b),
        goal,
        round_ratios(a, b),
        f"p99 {p99(a):.1f} / {p99(b):.1f} ms; CPU {cpu_us(a):.0f} / {cpu_us(b):.0f} µs per request",
        profile,
    )
    report.verdicts.append(verdict)
    return verdict


def service_env(
    app: str, folder: Path, database_url: str, workers: int = WORKERS, **extra: str
) -> dict[str, str]:
    env_of = services.flask_env if app == "flask" else services.fastapi_env
    return {**env_of(folder, database_url, workers=workers), **extra, **NO_RECYCLING}


def on_off_bare(app: str, work: Path, database_url: str) -> list[Service]:
    """The service as shipped, the service with METRICS_ENABLED=false, and the bare framework
    app, each with WORKERS workers of the service's own gunicorn config."""
    start = services.flask_gunicorn if app == "flask" else services.fastapi_gunicorn
    bare = services.bare_flask_gunicorn if app == "flask" else services.bare_fastapi_gunicorn
    return [
        start(f"{app}-on", work / f"{app}-on", service_env(app, work / f"{app}-on", database_url)),
        start(f"{app}-off", work / f"{app}-off",
              service_env(app, work / f"{app}-off", database_url, METRICS_ENABLED="false")),
        bare(f"{app}-bare", work / f"{app}-bare",
             service_env(app, work / f"{app}-bare", database_url)),
    ]  # fmt: skip


def _row(service: str, what: str, server: str, results: Sequence[wrk.WrkResult],
         base: Sequence[wrk.WrkResult]) -> list[object]:  # fmt: skip
    return [service, what, server, f"{rps(results):.0f}", f"{rps(results) / rps(base):.2f}",
            f"{p99(results):.1f}", f"{cpu_us(results):.0f}", errors(results)]  # fmt: skip


def frameworks(report: Report, work: Path) -> None:
    """Each service against its bare framework and against itself without metrics, access
    logs on everywhere; the catalog also against `app.run(threaded=True)`."""
    rows: list[list[object]] = []
    identity_db = services.fastapi_database(work / "identity")
    on, off, bare = on_off_bare("fastapi", work, identity_db)
    with running(on, off, bare):
        auth = (f"Authorization: Bearer {services.seed_user(identity_db)}",)
        for path, what, headers in (
            ("/hello", "/hello", ()),
            ("/users/me", "GET /users/me (JWT + user row)", auth),
        ):
            results = alternate(report, [Target(s.name, s, path, headers) for s in (on, off, bare)])
            r_on, r_off, r_bare = (results[s.name] for s in (on, off, bare))
            for server, result in (("service (metrics + access log on, as shipped)", r_on),
                                   ("service, METRICS_ENABLED=false", r_off),
                                   ("bare FastAPI (bench/bare_fastapi.py)", r_bare)):  # fmt: skip
                rows.append(_row("FastAPI", what, server, result, r_on))
            ratio_verdict(report, f"FastAPI {what} ≥ 0.75 x bare FastAPI", 0.75, r_on, r_bare,
                          ("fastapi", "bare-fastapi", path))  # fmt: skip
            ratio_verdict(report, f"FastAPI {what}: metrics on / off ≥ 0.90", 0.90, r_on, r_off,
                          ("fastapi", "", path))  # fmt: skip

    catalog_db = services.flask_database(work / "catalog")
    product = f"/products/{services.seed_product(catalog_db)}"
    on, off, bare = on_off_bare("flask", work, catalog_db)
    dev = services.flask_devserver(
        "flask-app-run", work / "f-dev", services.flask_env(work / "f-dev", catalog_db)
    )
    with running(on, off, bare, dev):
        results = alternate(report, [Target(s.name, s, "/hello") for s in (on, off, bare, dev)])
        r_on, r_off, r_bare, r_dev = (results[s.name] for s in (on, off, bare, dev))
        for server, result in (("service (metrics + access log on, as shipped)", r_on),
                               ("service, METRICS_ENABLED=false", r_off),
                               ("bare Flask (bench/bare_flask.py)", r_bare),
                               ("the service under app.run(threaded=True)", r_dev)):  # fmt: skip
            rows.append(_row("Flask", "/hello", server, result, r_on))
        ratio_verdict(report, "Flask /hello ≥ 0.80 x bare Flask", 0.80, r_on, r_bare,
                      ("flask", "bare-flask", "/hello"))  # fmt: skip
        ratio_verdict(report, "Flask /hello: metrics on / off ≥ 0.90", 0.90, r_on, r_off,
                      ("flask", "", "/hello"))  # fmt: skip
        ratio_verdict(report, "Flask (gunicorn) ≥ 4 x app.run(threaded=True), /hello", 4.0,
                      r_on, r_dev, ("flask", "", "/hello"))  # fmt: skip
        results = alternate(report, [Target(s.name, s, product) for s in (on, off)])
        r_on, r_off = results[on.name], results[off.name]
        for server, result in (("service (metrics + access log on, as shipped)", r_on),
                               ("service, METRICS_ENABLED=false", r_off)):  # fmt: skip
            rows.append(_row("Flask", "GET /products/<id>", server, result, r_on))
        ratio_verdict(report, "Flask GET /products/<id>: metrics on / off ≥ 0.90", 0.90, r_on,
                      r_off, ("flask", "", "/products/<id>"))  # fmt: skip
    report.table(
        f"The services against their bare frameworks ({WORKERS} workers each, the service's "
        "gunicorn config on every side, MAX_REQUESTS=0, LOG_LEVEL=INFO)",
        ["service", "endpoint", "server", "req/s", "vs as shipped", "p99 ms", "CPU µs/req",
         "wrk errors"],
        rows,
    )  # fmt: skip


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
        rows.append(_row("FastAPI", "/hello", server, results[name], base))
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


@dataclass
class Memory:
    """Resident memory (MiB) of a pod's processes: the gunicorn master and each worker."""

    master: float
    workers: list[float]

    @property
    def pod(self) -> float:
        return self.master + sum(self.workers)


def memory(server: Service) -> Memory:
    master, *workers = tree_pids(server.process.pid)
    return Memory(rss_mib(master), [rss_mib(w) for w in workers])


def drive_all(servers: Sequence[Service], path: str = "/hello") -> tuple[wrk.WrkResult, Memory]:
    """wrk on every server at once, CONNECTIONS (and wrk's threads) shared among them: the
    requests, CPU and errors of all, the worst p99; and the peak memory of the first server's
    processes (sampled every 0.5 s)."""
    cpu_before = [tree_cpu_seconds(s.process.pid) for s in servers]
    loads = [
        wrk.Background(s.url + path, seconds=SECONDS, connections=CONNECTIONS // len(servers),
                       threads=max(1, THREADS // len(servers)), timeout=TIMEOUT, statuses=False)
        for s in servers
    ]  # fmt: skip
    peak = memory(servers[0])
    with ExitStack() as stack:
        for load in loads:
            stack.enter_context(load)
        deadline = time.monotonic() + SECONDS
        while time.monotonic() < deadline:
            time.sleep(0.5)
            now = memory(servers[0])
            if len(now.workers) == len(peak.workers):
                peak = Memory(
                    max(peak.master, now.master),
                    [max(a, b) for a, b in zip(peak.workers, now.workers, strict=True)],
                )
        results = [load.result() for load in loads]
    cpu = sum(
        tree_cpu_seconds(s.process.pid) - before
        for s, before in zip(servers, cpu_before, strict=True)
    )
    result = wrk.WrkResult(
        requests=sum(r.requests for r in results),
        seconds=max(r.seconds for r in results),
        errors={k: sum(r.errors[k] for r in results) for k in results[0].errors},
        latency_ms=max(results, key=lambda r: r.latency_ms["p99"]).latency_ms,
        command=results[0].command,
        server_cpu_s=cpu,
    )
    return result, peak


def deployment(report: Report, work: Path) -> None:
    """One pod of WORKERS workers against WORKERS pods of one worker each, on /hello, with the
    memory of each. Every pod has its multiprocess directory, which its master's metrics
    listener reads (what in-memory metric values would cost is in bench.costs)."""
    rows: list[list[object]] = []
    memory_rows: list[list[object]] = []
    for app in ("flask", "fastapi"):
        name = "Flask" if app == "flask" else "FastAPI"
        db = (services.flask_database if app == "flask" else services.fastapi_database)(
            work / f"deploy-{app}"
        )
        start = services.flask_gunicorn if app == "flask" else services.fastapi_gunicorn
        pod = start(f"{app}-pod", work / f"{app}-pod", service_env(app, work / f"{app}-pod", db))
        singles = []
        for n in range(WORKERS):
            folder = work / f"{app}-single-{n}"
            singles.append(
                start(f"{app}-single-{n}", folder, service_env(app, folder, db, workers=1))
            )
        sides = {"pod": [pod], "pods": singles}
        results: dict[str, list[wrk.WrkResult]] = {"pod": [], "pods": []}
        peaks: dict[str, Memory] = {}
        with running(pod, *singles):
            time.sleep(1)
            at_rest = {"pod": memory(pod), "pods": memory(singles[0])}
            pods_at_rest = sum(memory(s).pod for s in singles)
            for servers in sides.values():
                wrk.run(servers[0].url + "/hello", seconds=2, connections=CONNECTIONS)
            for round_no in range(ROUNDS):
                for side in ("pod", "pods") if round_no % 2 == 0 else ("pods", "pod"):
                    result, peaks[side] = drive_all(sides[side])
                    results[side].append(result)
                    log(f"round {round_no + 1}/{ROUNDS} {app} {side}: {result.summary()}")
                    report.commands.add(_generic(result.command))
        one, many = results["pod"], results["pods"]
        rows.append([name, f"1 pod x {WORKERS} workers", f"{rps(one):.0f}",
                     "1.00", f"{p99(one):.1f}", f"{cpu_us(one):.0f}",
                     f"{at_rest['pod'].pod:.0f}", errors(one)])  # fmt: skip
        rows.append([name, f"{WORKERS} pods x 1 worker", f"{rps(many):.0f}",
                     f"{rps(many) / rps(one):.2f}", f"{p99(many):.1f}", f"{cpu_us(many):.0f}",
                     f"{pods_at_rest:.0f}", errors(many)])  # fmt: skip
        for label, side in ((f"{WORKERS} workers", "pod"), ("1 worker", "pods")):
            rest, loaded = at_rest[side], peaks[side]
            memory_rows.append([name, label, f"{rest.master:.0f}",
                                " / ".join(f"{w:.0f}" for w in rest.workers), f"{rest.pod:.0f}",
                                f"{loaded.master:.0f}",
                                " / ".join(f"{w:.0f}" for w in loaded.workers),
                                f"{loaded.pod:.0f}"])  # fmt: skip
    report.table(
        f"Deployment: one pod of {WORKERS} workers against {WORKERS} pods of one worker, /hello "
        f"(the pods share wrk's {CONNECTIONS} connections and {THREADS} threads, a wrk each)",
        ["service", "deployment", "req/s (all pods)", "vs 1 pod", "p99 ms", "CPU µs/req",
         "RSS at rest, all pods (MiB)", "wrk errors"],
        rows,
    )  # fmt: skip
    report.table(
        "Memory per pod: resident set (MiB) of the gunicorn master and each worker, at rest "
        "(started, idle) and the peak under wrk (the last round)",
        ["service", "pod", "master at rest", "workers at rest", "pod at rest",
         "master under load", "workers under load", "pod under load"],
        memory_rows,
    )  # fmt: skip


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


def costs(report: Report, work: Path) -> None:
    """bench/costs.py, in a process of its own (it sets the multiprocess-metrics environment)."""
    run = subprocess.run(
        [sys.executable, "-m", "bench.costs"], capture_output=True, text=True, timeout=600,
        check=True, cwd=Path(__file__).parent.parent,
    )  # fmt: skip
    report.note(run.stdout.strip() + "\n")


def trace_missed(report: Report) -> None:
    """py-spy profiles (bench/profile.py) of each missed target's service and counterpart."""
    done: dict[tuple[str, str, bool], profile.Profile] = {}
    for verdict in report.verdicts:
        if verdict.met or verdict.profile is None:
            continue
        app, counterpart, path = verdict.profile
        sides = [
            (app, path, True),
            (counterpart, path, True) if counterpart else (app, path, False),
        ]
        for side in sides:
            if side not in done:
                log(f"profiling {side}")
                done[side] = profile.profile(*side)
        report.profiles[verdict.target] = [
            (f"{side[0]}{'' if side[2] else ' (metrics off)'}", done[side]) for side in sides
        ]


def targets_section(report: Report) -> list[str]:
    lines = [
        "## Targets",
        "",
        "| target | measured | rounds (A/B in each round) | verdict | p99 and CPU per request |",
        "|---|---|---|---|---|",
    ]
    for v in report.verdicts:
        rounds = " ".join(f"{r:.2f}" for r in v.rounds)
        verdict = "met" if v.met else "MISSED"
        lines.append(f"| {v.target} | **{v.ratio:.2f}** | {rounds} | {verdict} | {v.detail} |")
    lines.append("")
    for target, sides in report.profiles.items():
        samples = " / ".join(f"{name}: {p.samples}" for name, p in sides)
        lines += [
            f"### Where the time goes: {target} (missed)",
            "",
            "py-spy, one worker under wrk: the share of the samples of the thread holding the "
            f"GIL per component ({samples} samples):",
            "",
            "| component | " + " | ".join(name for name, _ in sides) + " |",
            "|---" * (len(sides) + 1) + "|",
        ]
        names = list(dict.fromkeys(c for _, p in sides for c, _ in p.components))
        shares = [dict(p.components) for _, p in sides]
        for component in names:
            cells = " | ".join(f"{share.get(component, 0.0):.1f}" for share in shares)
            lines.append(f"| {component} | {cells} |")
        lines.append("")
    return lines


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
        "Bare frameworks: `python -m gunicorn --config python:meatyapis_<app>.gunicorn_conf "
        "bench.bare_<app>:app` (the service's own server config, worker class and hooks)",
        "Pods of one worker: `meatyapis-<app> serve` with WEB_CONCURRENCY=1",
        "Profiles: `uv run --frozen python -m bench.profile <app> <path>` (py-spy, one worker)",
        "Per-request costs: `uv run --frozen python -m bench.costs` (in one process)",
        "Environment of every server: PORT, BIND_HOST=127.0.0.1, WEB_CONCURRENCY, DATABASE_URL "
        "(sqlite), PROMETHEUS_MULTIPROC_DIR, METRICS_ENABLED, LOG_LEVEL=INFO; FastAPI also "
        "TOKEN_SECRET; the comparisons MAX_REQUESTS=0, the recycling run "
        "MAX_REQUESTS/MAX_REQUESTS_JITTER",
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
        *targets_section(report),
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
        sections = os.environ.get(
            "BENCH_SECTIONS", "costs,frameworks,serving,deployment,scrape,recycle,startup"
        )
        chosen = set(sections.split(","))
        for name, section in (
            ("costs", costs),
            ("frameworks", frameworks),
            ("serving", serving),
            ("deployment", deployment),
            ("scrape", metrics_scrapes),
            ("recycle", recycling),
            ("startup", start_up),
        ):
            if name in chosen:
                log(f"--- {name}")
                section(report, work)
        trace_missed(report)
    env_text += f"\n- Load average at the end: {os.getloadavg()[0]:.2f}"
    write_results(report, started, env_text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
