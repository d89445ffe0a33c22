"""Dependency outage under load: the identity service is killed for 20 s while wrk drives reads
and writes against the catalog. No read fails; every write is answered (201, or 503 with
Retry-After while identity is away) within the client timeout — none hangs; writes recover by
themselves once identity is back.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bench import services, wrk
from tests.reliability.conftest import Stack
from tests.reliability.measure import figures
from tests.support.processes import wait_until

pytestmark = pytest.mark.integration

OUTAGE_SECONDS = 20
LOAD_SECONDS = OUTAGE_SECONDS + 14
WRITE_TIMEOUT = 2  # seconds: a write answered later than this counts as hanging
WRITES = """
local serial = 0
local me = tostring({}):match("0x(%x+)")
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
request = function()
  serial = serial + 1
  local body = string.format('{"name": "w-%s-%d", "price": "1.00", "quantity": 1}', me, serial)
  return wrk.format(nil, "/products", nil, body)
end
"""


@pytest.fixture
def wired(tmp_path: Path) -> Iterator[Stack]:
    catalog_db = services.flask_database(tmp_path / "catalog" / "db")
    product_id = services.seed_product(catalog_db)
    identity = services.identity_service(tmp_path / "identity")
    with identity:
        token = services.register_and_login(identity)
        with services.catalog_service(tmp_path / "catalog", identity.url, catalog_db) as catalog:
            yield Stack(identity, catalog, token, product_id)


def test_identity_killed_under_load_reads_unaffected_writes_fail_fast(
    wired: Stack, tmp_path: Path
) -> None:
    catalog, identity = wired.catalog, wired.identity
    unauthenticated = httpx.post(
        catalog.url + "/products", json={"name": "no-token", "price": "1.00", "quantity": 1}
    )
    assert unauthenticated.status_code == 401, "writes must require a bearer token (issue 4)"
    auth = f"Authorization: Bearer {wired.token}"
    reads = wrk.Background(
        f"{catalog.url}/products/{wired.product_id}",
        seconds=LOAD_SECONDS,
        connections=8,
        timeout=WRITE_TIMEOUT,
    )
    writes = wrk.Background(
        catalog.url + "/products",
        seconds=LOAD_SECONDS,
        connections=4,
        timeout=WRITE_TIMEOUT,
        headers=[auth],
        extra_lua=WRITES,
    )
    with reads, writes:
        time.sleep(4)
        identity.process.stop(signal.SIGKILL)  # master and workers, no goodbye
        time.sleep(OUTAGE_SECONDS)
        revived = services.fastapi_gunicorn("identity", tmp_path / "identity", identity.env)
        with revived:  # same port, database and signing key: the token is valid again
            recovered = wait_until(
                lambda: (
                    httpx.post(
                        catalog.url + "/products",
                        json={
                            "name": f"after-{time.monotonic_ns()}",
                            "price": "1.00",
                            "quantity": 1,
                        },
                        headers={"Authorization": f"Bearer {wired.token}"},
                        timeout=10,
                    ).status_code
                    == 201
                ),
                timeout=30,
                interval=0.5,
            )
            read_load, write_load = reads.result(), writes.result()
    figures(
        "identity-outage",
        outage_s=OUTAGE_SECONDS,
        read_requests=read_load.requests,
        read_failures=read_load.failures,
        read_p99_ms=f"{read_load.latency_ms['p99']:.1f}",
        write_requests=write_load.requests,
        write_statuses=write_load.statuses,
        write_errors=write_load.errors,
        write_p99_ms=f"{write_load.latency_ms['p99']:.1f}",
        write_max_ms=f"{write_load.latency_ms['max']:.1f}",
        writes_recovered=recovered,
    )
    assert read_load.failures == 0, read_load.summary()
    assert read_load.statuses == {200: read_load.requests}
    assert write_load.errors["timeout"] == 0, write_load.summary()
    assert write_load.socket_errors == 0, write_load.summary()
    assert set(write_load.statuses) <= {201, 503}, write_load.statuses
    assert write_load.statuses.get(503, 0) > 0, "identity was down: some writes must get 503"
    assert write_load.statuses.get(201, 0) > 0
    assert recovered
