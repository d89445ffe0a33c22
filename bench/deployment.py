"""One pod of several workers against as many pods of one worker: throughput and memory."""

from __future__ import annotations

import time
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from bench import services, wrk
from bench.procfs import rss_mib, tree_cpu_seconds, tree_pids
from bench.report import Report, log
from bench.rounds import (
    CONNECTIONS,
    ROUNDS,
    SECONDS,
    THREADS,
    TIMEOUT,
    WORKERS,
    cpu_us,
    errors,
    generic_command,
    p99,
    rps,
    running,
    service_env,
)
from bench.services import Service


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
                    report.commands.add(generic_command(result.command))
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
