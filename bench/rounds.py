"""Servers side by side on 127.0.0.1, driven by wrk in alternating order for several rounds:
the load settings, the rounds, their medians and the ratio targets drawn from them."""

from __future__ import annotations

import dataclasses
import os
import re
import statistics
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from bench import services, wrk
from bench.procfs import tree_cpu_seconds
from bench.report import Report, Verdict, log
from bench.services import Service

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "5"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "32"))
THREADS = 2
TIMEOUT = 10.0  # wrk's per-request timeout (s); failures are counted in the tables, not fatal
WORKERS = 2  # one per core on the reference machine; the same for every server compared
# The overhead pairs run without worker recycling: a worker re-importing the app mid-round costs
# about a second of CPU and would land in one side's numbers by chance.
NO_RECYCLING = {"MAX_REQUESTS": "0"}


@dataclass(frozen=True)
class Target:
    label: str
    server: Service
    path: str
    headers: tuple[str, ...] = ()

    @property
    def url(self) -> str:
        return self.server.url + self.path


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
            report.commands.add(generic_command(result.command))
    return results


def generic_command(command: str) -> str:
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


def row(service: str, what: str, server: str, results: Sequence[wrk.WrkResult],
        base: Sequence[wrk.WrkResult]) -> list[object]:  # fmt: skip
    return [service, what, server, f"{rps(results):.0f}", f"{rps(results) / rps(base):.2f}",
            f"{p99(results):.1f}", f"{cpu_us(results):.0f}", errors(results)]  # fmt: skip
