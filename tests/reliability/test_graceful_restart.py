"""Graceful restarts under load (wrk plus a per-request probe).

What "zero failed" means here:
- HUP (gunicorn reload: new workers start, old ones drain; the listening socket stays open):
  every request of wrk and of the probe gets a 2xx — no 5xx, no socket error, no timeout
  (10 s).
- SIGTERM (the pod is being stopped): every request the server accepted completes. No 5xx and no
  timeout anywhere, and no request that a worker read (its X-Request-ID is in the access log)
  goes unanswered. Connections refused after the listener closed, and requests the server
  never read (written onto a keep-alive or queued connection as it closed), are not
  failures of the service: a load balancer stops sending once /readyz answers 503 and retries
  a connection that was refused or closed before any response byte.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench import services, wrk
from bench.services import Service
from tests.reliability.measure import figures
from tests.reliability.probe import Probe, logged_request_ids
from tests.support.net import HOST, free_port

pytestmark = pytest.mark.integration

LOAD_SECONDS = 12
CONNECTIONS = 16
# A request unanswered after TIMEOUT seconds counts as failed. Well under GRACEFUL_TIMEOUT (20 s),
# and above the latency spike of a reload on a busy 2-core machine (new workers import the app
# while the old ones still serve).
TIMEOUT = 10


@pytest.fixture(params=["catalog", "identity"])
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Service]:
    if request.param == "catalog":
        service = services.catalog_service(tmp_path, f"http://{HOST}:{free_port()}")
    else:
        service = services.identity_service(tmp_path)
    with service:
        yield service


def test_hup_reload_under_load_fails_no_request(server: Service) -> None:
    with wrk.Background(
        server.url + "/hello", seconds=LOAD_SECONDS, connections=CONNECTIONS, timeout=TIMEOUT
    ) as load:
        probe = Probe(server.port, "/hello", LOAD_SECONDS)
        time.sleep(3)
        server.process.signal(signal.SIGHUP)
        time.sleep(4)
        server.process.signal(signal.SIGHUP)
        result = load.result()
        probed = probe.result()
    figures(
        f"hup/{server.name}",
        requests=result.requests + probed.requests,
        failures=result.failures + probed.requests - probed.outcomes["ok"],
        wrk_errors=result.errors,
        wrk_statuses=result.statuses,
        probe=dict(probed.outcomes),
        p99_ms=f"{result.latency_ms['p99']:.1f}",
    )
    assert server.process.running()
    assert result.requests > 0
    assert result.failures == 0, result.summary()
    assert probed.outcomes["ok"] == probed.requests, probed.outcomes


def test_sigterm_under_load_completes_every_accepted_request(server: Service) -> None:
    with wrk.Background(
        server.url + "/hello", seconds=LOAD_SECONDS, connections=CONNECTIONS, timeout=TIMEOUT
    ) as load:
        probe = Probe(server.port, "/hello", LOAD_SECONDS)
        time.sleep(3)
        stopped_at = time.monotonic()
        server.process.signal(signal.SIGTERM)
        exit_code = server.process.wait(timeout=60)
        drained_s = time.monotonic() - stopped_at
        probed = probe.stop()
        result = load.result()
    accepted_but_broken = set(probed.broken_ids) & logged_request_ids(server.process.log_path)
    figures(
        f"sigterm/{server.name}",
        requests=result.requests + probed.requests,
        failures=len(accepted_but_broken) + result.errors["status"] + result.errors["timeout"],
        wrk_errors=result.errors,
        wrk_statuses=result.statuses,
        probe=dict(probed.outcomes),
        probe_unanswered_never_read=len(probed.broken_ids) - len(accepted_but_broken),
        p99_ms=f"{result.latency_ms['p99']:.1f}",
        exit_code=exit_code,
        drain_s=f"{drained_s:.1f}",
    )
    assert exit_code == 0
    assert result.errors["status"] == 0, result.summary()
    assert result.errors["timeout"] == 0, result.summary()
    assert probed.outcomes["5xx"] == 0
    assert probed.outcomes["ok"] > 0
    assert not accepted_but_broken, sorted(accepted_but_broken)[:10]
