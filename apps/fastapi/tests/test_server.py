"""The real server: gunicorn with 4 uvicorn workers on a free 127.0.0.1 port."""

from __future__ import annotations

import http.client
import json
import signal
import sys
import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from apps.fastapi.tests.helpers import PASSWORD, SECRET, migrate
from tests.support.net import free_port
from tests.support.processes import ServerProcess, wait_until

pytestmark = pytest.mark.integration

WORKERS = 4


@dataclass
class Server:
    process: ServerProcess
    url: str
    metrics_dir: Path


def start_server(tmp: Path, database_url: str | None = None, **env: str) -> ServerProcess:
    """The service on a migrated database: a new SQLite file in `tmp` unless `database_url`."""
    port = free_port()
    database_url = database_url or f"sqlite:///{tmp / 'identity.db'}"
    migrate(database_url)
    environment = {
        "PORT": str(port),
        "METRICS_PORT": str(free_port()),
        "BIND_HOST": "127.0.0.1",
        "WEB_CONCURRENCY": str(WORKERS),
        "DATABASE_URL": database_url,
        "PROMETHEUS_MULTIPROC_DIR": str(tmp / "metrics"),
        "TOKEN_SECRET": SECRET,
        "GRACEFUL_TIMEOUT": "30",
        "PASSWORD_HASH_TIME_COST": "1",
        "PASSWORD_HASH_MEMORY_KIB": "1024",
        **env,
    }
    return ServerProcess(
        [sys.executable, "-m", "meatyapis_fastapi.cli", "serve"],
        log_path=tmp / "server.log",
        env=environment,
        ready_url=f"http://127.0.0.1:{port}/readyz",
        ready_timeout=90,
    )


def base_url(process: ServerProcess) -> str:
    assert process.ready_url is not None
    return process.ready_url.removesuffix("/readyz")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("fastapi-server")
    with start_server(tmp) as process:
        yield Server(process, base_url(process), tmp / "metrics")


def duration_counts(server: Server) -> dict[tuple[str, str, str], float]:
    text = httpx.get(server.process.metrics_url, timeout=30).text
    counts = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "http_request_duration_seconds_count":
                labels = sample.labels
                counts[(labels["handler"], labels["method"], labels["status"])] = sample.value
    return counts


def test_api_end_to_end(server: Server) -> None:
    with httpx.Client(base_url=server.url, timeout=30) as client:
        assert client.get("/").json() == {"Welcome": "to the MeatyAPIs FastAPI service!"}
        registered = client.post(
            "/register", json={"username": "ada", "email": "ada@example.com", "password": PASSWORD}
        )
        assert registered.status_code == 201
        token_response = client.post(
            "/login", data={"grant_type": "password", "username": "ada", "password": PASSWORD}
        )
        assert token_response.status_code == 200
        headers = {"Authorization": f"Bearer {token_response.json()['access_token']}"}
        # Every worker verifies a token another worker signed.
        for _ in range(12):
            with httpx.Client(base_url=server.url, timeout=30) as fresh:
                assert fresh.get("/verify", headers=headers).json()["username"] == "ada"
        assert client.get("/info", headers=headers).json() == {"info": "The answer is 42."}
        assert client.get("/users/me", headers=headers).json()["username"] == "ada"
        denied = client.get("/info")
        assert denied.status_code == 401
        assert denied.headers["www-authenticate"] == "Bearer"
        missing = client.get("/nope", headers={"X-Request-ID": "integration-1"})
        assert missing.status_code == 404
        assert missing.headers["content-type"] == "application/problem+json"
        assert missing.headers["x-request-id"] == "integration-1"
        assert client.get("/docs").status_code == 200
        assert "server" not in client.get("/hello").headers


def test_metric_totals_are_exact_across_workers(server: Server) -> None:
    requests = 300
    before = duration_counts(server).get(("/hello", "GET", "200"), 0.0)
    # A new connection per request, so the kernel spreads them over the workers.
    with httpx.Client(base_url=server.url, timeout=30, headers={"Connection": "close"}) as client:

        def hit(_: int) -> int:
            return client.get("/hello").status_code

        with ThreadPoolExecutor(8) as pool:
            statuses = list(pool.map(hit, range(requests)))
    assert statuses == [200] * requests
    after = duration_counts(server)[("/hello", "GET", "200")]
    assert after - before == requests
    writers = {p.name.split("_")[-1] for p in server.metrics_dir.glob("histogram_*.db")}
    assert len(writers) >= 2, f"requests reached only {writers}"


def test_cardinality_stays_bounded_after_random_404s(server: Server) -> None:
    before = duration_counts(server)
    with httpx.Client(base_url=server.url, timeout=30) as client:

        def hit(_: int) -> int:
            return client.get(f"/{uuid.uuid4().hex}/{uuid.uuid4().hex[:6]}").status_code

        with ThreadPoolExecutor(4) as pool:
            statuses = list(pool.map(hit, range(2000)))
    assert set(statuses) == {404}
    after = duration_counts(server)
    new_series = set(after) - set(before)
    assert new_series <= {("none", "GET", "404")}
    assert after[("none", "GET", "404")] - before.get(("none", "GET", "404"), 0.0) == 2000
    assert len(after) < 40


def test_logs_are_json_lines_with_request_ids(server: Server) -> None:
    httpx.get(f"{server.url}/hello", headers={"X-Request-ID": "log-check-7"}, timeout=30)
    assert wait_until(lambda: "log-check-7" in server.process.log_path.read_text(), timeout=10)
    entries = [json.loads(line) for line in server.process.log_path.read_text().splitlines()]
    mine = [e for e in entries if e.get("request_id") == "log-check-7"]
    assert [(e["route"], e["status"]) for e in mine] == [("/hello", 200)]


def test_login_rate_limit_holds_across_workers(server: Server) -> None:
    """Failures land on different workers; the count lives in the database, so all see it."""
    with httpx.Client(base_url=server.url, timeout=30, headers={"Connection": "close"}) as client:
        body = {"username": "mallory-target", "password": "guess"}
        statuses = [client.post("/login", json=body).status_code for _ in range(7)]
    assert statuses == [400] * 5 + [429] * 2


def test_head_on_a_keep_alive_connection(server: Server) -> None:
    """uvicorn sends HEAD's headers and no body: the next answer on the connection parses."""
    connection = http.client.HTTPConnection("127.0.0.1", int(server.url.rsplit(":", 1)[1]))
    try:
        for _ in range(3):
            connection.request("HEAD", "/hello")
            head = connection.getresponse()
            assert (head.status, head.read()) == (200, b"")
            connection.request("GET", "/hello")
            got = connection.getresponse()
            body = got.read()
            assert got.status == 200
            assert head.getheader("content-length") == str(len(body))
            assert head.getheader("content-type") == got.getheader("content-type")
    finally:
        connection.close()


def access_client(process: ServerProcess, request_id: str) -> str:
    assert wait_until(lambda: request_id in process.log_path.read_text(), timeout=10)
    for line in process.log_path.read_text().splitlines():
        entry = json.loads(line)
        if entry.get("request_id") == request_id and entry["logger"].endswith("access"):
            return str(entry["client"])
    raise AssertionError(f"no access line for {request_id}")


def test_forwarded_for_is_trusted_from_allowed_proxies_only(server: Server, tmp_path: Path) -> None:
    spoof = {"X-Forwarded-For": "203.0.113.9"}
    httpx.get(f"{server.url}/hello", headers={**spoof, "X-Request-ID": "xff-1"}, timeout=30)
    assert access_client(server.process, "xff-1") == "203.0.113.9"  # 127.0.0.1 is trusted
    with start_server(tmp_path, WEB_CONCURRENCY="1", FORWARDED_ALLOW_IPS="10.9.9.9") as other:
        url = base_url(other)
        httpx.get(f"{url}/hello", headers={**spoof, "X-Request-ID": "xff-2"}, timeout=30)
        assert access_client(other, "xff-2") == "127.0.0.1"


def test_forwarded_values_that_are_not_addresses_cannot_bypass_the_limit(
    tmp_path: Path, postgres_url: str
) -> None:
    """Behind a trusted proxy (the peer 127.0.0.1), on PostgreSQL: an X-Forwarded-For value
    longer than the address column, or any value that is not an address, counts as the proxy's
    address; the attempts are recorded and limited, and the right password then gets 429."""
    with start_server(tmp_path, postgres_url, WEB_CONCURRENCY="2") as process:
        url = base_url(process)
        with httpx.Client(base_url=url, timeout=30) as client:
            body = {"username": "ada", "email": "ada@example.com", "password": PASSWORD}
            assert client.post("/register", json=body).status_code == 201
            wrong = {"username": "ada", "password": "wrong password"}
            statuses = [
                client.post("/login", json=wrong, headers={"X-Forwarded-For": str(i) * 70})
                for i in range(10)
            ]
            assert [r.status_code for r in statuses] == [400] * 5 + [429] * 5
            right = {"username": "ada", "password": PASSWORD}
            after = client.post("/login", json=right, headers={"X-Forwarded-For": "f" * 90})
            assert after.status_code == 429
            assert int(after.headers["retry-after"]) >= 1
            spoofed = {"X-Forwarded-For": "6.6.6.6, 198.51.100.4", "X-Request-ID": "xff-3"}
            client.get("/hello", headers=spoofed)
        assert access_client(process, "xff-3") == "198.51.100.4"


def test_sigterm_lets_requests_in_flight_finish(tmp_path: Path) -> None:
    # Full-cost argon2 makes each registration take long enough to be caught in flight; all
    # eight may hash at once, whichever workers they land on.
    process = start_server(
        tmp_path,
        PASSWORD_HASH_TIME_COST="8",
        PASSWORD_HASH_MEMORY_KIB="65536",
        PASSWORD_HASH_CONCURRENCY="8",
    )
    with process:
        url = base_url(process)
        results: list[int | str] = []
        lock = threading.Lock()

        def register(i: int) -> None:
            body = {"username": f"user{i}", "email": f"u{i}@example.com", "password": PASSWORD}
            try:
                status: int | str = httpx.post(f"{url}/register", json=body, timeout=60).status_code
            except httpx.HTTPError as err:
                status = repr(err)
            with lock:
                results.append(status)

        threads = [threading.Thread(target=register, args=(i,)) for i in range(8)]
        for thread in threads:
            thread.start()
        # All eight are being served (parsed, hashing) before the stop signal arrives.
        assert wait_until(lambda: in_flight(process) == len(threads), timeout=30, interval=0.02)
        process.signal(signal.SIGTERM)
        for thread in threads:
            thread.join(timeout=90)
        assert process.wait(timeout=60) == 0
    assert results == [201] * 8, results


def in_flight(process: ServerProcess) -> float:
    text = httpx.get(process.metrics_url, timeout=30).text
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "http_requests_inprogress" and sample.labels["handler"] == "/register"
    )
