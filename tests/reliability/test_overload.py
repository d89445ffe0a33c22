"""Overload: far more connections than workers. The services queue (or shed with 503) within
their timeouts, the memory of the process tree stays bounded, and they recover when load stops.
"""

from __future__ import annotations

import threading

import pytest

from bench import wrk
from bench.services import STACK_WORKERS, Service
from tests.reliability.conftest import Stack
from tests.reliability.measure import figures, tree_rss_mib
from tests.support.net import wait_for_status

pytestmark = [pytest.mark.integration, pytest.mark.slow]

CONNECTIONS = 512  # against 2 workers (Flask: 2 x 4 threads; FastAPI: 2 event loops)
SECONDS = 15
CLIENT_TIMEOUT = 10  # seconds; gunicorn's worker timeout is 30
RSS_LIMIT_FACTOR = 2.0  # the tree may at most double its warmed-up memory under overload


def sample_rss(pid: int, stop: threading.Event, peaks: list[float]) -> None:
    for _ in range(10 * (SECONDS + 30)):  # bounded: at most the load plus a margin
        if stop.wait(0.1):
            return
        peaks.append(tree_rss_mib(pid))


@pytest.mark.parametrize("which", ["catalog", "identity"])
def test_overload_queues_or_sheds_with_bounded_memory_and_recovers(
    stack: Stack, which: str
) -> None:
    service: Service = getattr(stack, which)
    wrk.run(service.url + "/hello", seconds=3, connections=16)  # warm up every worker
    baseline = tree_rss_mib(service.process.pid)
    peaks: list[float] = []
    stop = threading.Event()
    sampler = threading.Thread(target=sample_rss, args=(service.process.pid, stop, peaks))
    sampler.start()
    try:
        result = wrk.run(
            service.url + "/hello",
            seconds=SECONDS,
            connections=CONNECTIONS,
            timeout=CLIENT_TIMEOUT,
            statuses=True,
        )
    finally:
        stop.set()
        sampler.join(timeout=30)
    wait_for_status(service.url + "/readyz", 200, timeout=30)
    after = wrk.run(service.url + "/hello", seconds=3, connections=4, statuses=True)
    shed = result.statuses.get(503, 0) + result.statuses.get(429, 0)
    peak = max(peaks, default=baseline)
    figures(
        f"overload/{which}",
        connections=CONNECTIONS,
        workers=STACK_WORKERS,
        requests=result.requests,
        failures=result.failures - shed,
        shed=shed,
        errors=result.errors,
        statuses=result.statuses,
        p99_ms=f"{result.latency_ms['p99']:.1f}",
        max_ms=f"{result.latency_ms['max']:.1f}",
        rss_baseline_mib=f"{baseline:.0f}",
        rss_peak_mib=f"{peak:.0f}",
        rss_after_mib=f"{tree_rss_mib(service.process.pid):.0f}",
        after_p99_ms=f"{after.latency_ms['p99']:.1f}",
    )
    assert result.requests > 0
    # Every request answered within the client timeout: served, or shed with 503/429.
    assert set(result.statuses) <= {200, 429, 503}, result.statuses
    assert result.errors["timeout"] == 0, result.summary()
    assert result.socket_errors == 0, result.summary()
    assert peak < baseline * RSS_LIMIT_FACTOR
    # Recovered: a light load afterwards is fully served.
    assert after.failures == 0, after.summary()
    assert after.statuses == {200: after.requests}
