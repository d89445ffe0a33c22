"""The database under concurrency and outage.

- Concurrent updates of one product from many clients lose no update: each client does
  GET -> PATCH with If-Match, retrying on 412; the final quantity equals the number of
  successful increments (on SQLite and on PostgreSQL).
- PostgreSQL stopped and started again mid-load: both services report not-ready (503), then
  ready again and serving, without being restarted.
"""

from __future__ import annotations

import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from bench import services, wrk
from tests.reliability.conftest import Stack
from tests.reliability.measure import figures
from tests.support.net import http_status, wait_for_status
from tests.support.postgres import PostgresServer
from tests.support.processes import wait_until

pytestmark = pytest.mark.integration

CLIENTS = 12
INCREMENTS_PER_CLIENT = 10
MAX_ATTEMPTS_PER_INCREMENT = 200
CLIENT_TIMEOUT_S = 10


@pytest.fixture(scope="module")
def postgres() -> Iterator[PostgresServer]:
    """A PostgreSQL server of this module's own: the outage test stops and starts it."""
    server = PostgresServer(Path(tempfile.mkdtemp(prefix="meatyapis-reliability-pg-")))
    server.start()
    try:
        yield server
    finally:
        server.cleanup()


@pytest.fixture(scope="module")
def pg_stack(postgres: PostgresServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    tmp = tmp_path_factory.mktemp("pg-stack")
    catalog_db = postgres.create_database()
    identity_db = postgres.create_database()
    services.flask_database_migrate(catalog_db)
    services.fastapi_database_migrate(identity_db)
    product_id = services.seed_product(catalog_db)
    with services.identity_service(tmp / "identity", identity_db) as identity:
        token = services.register_and_login(identity)
        with services.catalog_service(tmp / "catalog", identity.url, catalog_db) as catalog:
            yield Stack(identity, catalog, token, product_id)


@dataclass
class Tally:
    successes: int = 0
    attempts: int = 0
    stale: int = 0
    other: Counter[int] | None = None


def increment(url: str, product_id: int, auth: dict[str, str], count: int) -> Tally:
    """`count` increments of the product's quantity, each GET -> PATCH If-Match, retried on 412."""
    tally = Tally(other=Counter())
    with httpx.Client(base_url=url, timeout=30, headers=auth) as client:
        for _ in range(count):
            for _ in range(MAX_ATTEMPTS_PER_INCREMENT):
                tally.attempts += 1
                current = client.get(f"/products/{product_id}")
                current.raise_for_status()
                patched = client.patch(
                    f"/products/{product_id}",
                    json={"quantity": current.json()["quantity"] + 1},
                    headers={"If-Match": current.headers["ETag"]},
                )
                if patched.status_code == 200:
                    tally.successes += 1
                    break
                if patched.status_code == 412:
                    tally.stale += 1
                    continue
                assert tally.other is not None
                tally.other[patched.status_code] += 1
                break
    return tally


def concurrent_increments(stack: Stack, label: str) -> None:
    url = stack.catalog.url
    start = httpx.get(f"{url}/products/{stack.product_id}", timeout=30).json()["quantity"]
    with ThreadPoolExecutor(CLIENTS) as pool:
        tallies = list(
            pool.map(
                lambda _: increment(url, stack.product_id, stack.auth, INCREMENTS_PER_CLIENT),
                range(CLIENTS),
            )
        )
    final = httpx.get(f"{url}/products/{stack.product_id}", timeout=30).json()["quantity"]
    successes = sum(t.successes for t in tallies)
    other: Counter[int] = Counter()
    for t in tallies:
        other.update(t.other or {})
    figures(
        f"lost-update/{label}",
        clients=CLIENTS,
        requests=2 * sum(t.attempts for t in tallies),
        increments=successes,
        stale_412=sum(t.stale for t in tallies),
        failures=sum(other.values()),
        other_statuses=dict(other),
        quantity_change=final - start,
    )
    assert not other, other
    assert successes == CLIENTS * INCREMENTS_PER_CLIENT
    assert final - start == successes


def test_concurrent_updates_lose_nothing_on_sqlite(stack: Stack) -> None:
    concurrent_increments(stack, "sqlite")


def test_concurrent_updates_lose_nothing_on_postgresql(pg_stack: Stack) -> None:
    concurrent_increments(pg_stack, "postgresql")


def test_postgres_restart_mid_load_services_go_unready_then_recover(
    pg_stack: Stack, postgres: PostgresServer
) -> None:
    catalog, identity = pg_stack.catalog, pg_stack.identity
    pids = (catalog.process.pid, identity.process.pid)
    readiness: dict[str, list[int | None]] = {"catalog": [], "identity": []}
    stop = threading.Event()

    def watch() -> None:
        for _ in range(1200):  # bounded: at most ~60 s of 50 ms polls
            if stop.wait(0.05):
                return
            readiness["catalog"].append(http_status(catalog.url + "/readyz", timeout=2))
            readiness["identity"].append(http_status(identity.url + "/readyz", timeout=2))

    watcher = threading.Thread(target=watch)
    # What this catches is a request that never gets its answer, e.g. one held on a pooled
    # connection to the stopped server. A request may wait for the database at most its connect
    # timeout (2 s) before its 503, and on two cores shared by both services, PostgreSQL and two
    # wrk any request can stall for seconds with the database up (up to 4.6 s seen outside the
    # outage): the client waits CLIENT_TIMEOUT_S before it calls a request hung.
    reads = wrk.Background(
        f"{catalog.url}/products/{pg_stack.product_id}",
        seconds=20,
        connections=8,
        timeout=CLIENT_TIMEOUT_S,
    )
    me = wrk.Background(
        identity.url + "/users/me",
        seconds=20,
        connections=8,
        timeout=CLIENT_TIMEOUT_S,
        headers=[f"Authorization: Bearer {pg_stack.token}"],
    )
    with reads, me:
        watcher.start()
        try:
            time.sleep(4)
            down_at = time.monotonic()
            postgres.stop()
            both_unready = wait_until(
                lambda: 503 in readiness["catalog"] and 503 in readiness["identity"], timeout=20
            )
            postgres.restart()  # starts the same cluster again on the same port
            up_at = time.monotonic()
            wait_for_status(catalog.url + "/readyz", 200, timeout=30)
            wait_for_status(identity.url + "/readyz", 200, timeout=30)
            recovered_s = time.monotonic() - up_at
        finally:
            stop.set()
            watcher.join(timeout=10)
        catalog_load, identity_load = reads.result(), me.result()
    after_product = httpx.get(f"{catalog.url}/products/{pg_stack.product_id}", timeout=10)
    after_me = httpx.get(identity.url + "/users/me", headers=pg_stack.auth, timeout=10)
    figures(
        "postgres-restart",
        outage_s=f"{up_at - down_at:.1f}",
        recovered_s=f"{recovered_s:.1f}",
        catalog_requests=catalog_load.requests,
        catalog_statuses=catalog_load.statuses,
        catalog_errors=catalog_load.errors,
        identity_requests=identity_load.requests,
        identity_statuses=identity_load.statuses,
        identity_errors=identity_load.errors,
        readiness_catalog=dict(Counter(readiness["catalog"])),
        readiness_identity=dict(Counter(readiness["identity"])),
    )
    assert both_unready, readiness
    assert after_product.status_code == 200
    assert after_me.status_code == 200
    assert (catalog.process.pid, identity.process.pid) == pids
    assert catalog.process.running()
    assert identity.process.running()
    # While the database is down a request is refused cleanly (503), never a 500.
    assert set(catalog_load.statuses) <= {200, 503}, catalog_load.statuses
    assert set(identity_load.statuses) <= {200, 503}, identity_load.statuses
    # No request hung: every one got an answer within CLIENT_TIMEOUT_S.
    assert catalog_load.errors["timeout"] == 0, catalog_load.summary()
    assert identity_load.errors["timeout"] == 0, identity_load.summary()
