"""The service under a real gunicorn (4 gthread workers) on 127.0.0.1, as `meatyapis-flask serve`
runs it: the API on SQLite and PostgreSQL, exact metric totals across workers, bounded label
cardinality, graceful SIGTERM with requests in flight, and concurrent writes that lose nothing.
"""

from __future__ import annotations

import json
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text

from tests.support.identity_stub import IdentityStub
from tests.support.net import HOST, free_port
from tests.support.postgres import PostgresServer
from tests.support.processes import ServerProcess, wait_until

pytestmark = pytest.mark.integration

CLI = str(Path(sys.executable).parent / "meatyapis-flask")
WORKERS = 4
AUTH = {"Authorization": "Bearer test-token"}  # a token the stand-in identity service accepts
_SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$")


@dataclass
class Served:
    process: ServerProcess
    base_url: str
    database_url: str

    def log_lines(self) -> list[dict[str, Any]]:
        """Every line gunicorn and the app wrote; each must be a JSON object."""
        return [json.loads(line) for line in self.process.log_path.read_text().splitlines()]


def start_server(tmp: Path, database_url: str, **env: str) -> ServerProcess:
    port = free_port()
    environment = {
        "BIND_HOST": HOST,
        "PORT": str(port),
        "METRICS_PORT": str(free_port()),
        "WEB_CONCURRENCY": str(WORKERS),
        "DATABASE_URL": database_url,
        "PROMETHEUS_MULTIPROC_DIR": str(tmp / "prometheus"),
        "LOG_LEVEL": "INFO",
        **env,
    }
    subprocess.run([CLI, "migrate"], env=environment, check=True, capture_output=True, timeout=120)
    return ServerProcess(
        [CLI, "serve"],
        log_path=tmp / "server.log",
        env=environment,
        ready_url=f"http://{HOST}:{port}/readyz",
        stop_timeout=40,
    )


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def served(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Served]:
    tmp = tmp_path_factory.mktemp(f"gunicorn-{request.param}")
    if request.param == "sqlite":
        database_url = f"sqlite:///{tmp / 'catalog.db'}"
    else:
        postgres: PostgresServer = request.getfixturevalue("postgres_server")
        database_url = postgres.create_database()
    # Workers recycle every ~150 requests, so totals must survive worker restarts too.
    with (
        IdentityStub() as identity,
        start_server(
            tmp,
            database_url,
            MAX_REQUESTS="150",
            MAX_REQUESTS_JITTER="20",
            IDENTITY_URL=identity.url,
        ) as process,
    ):
        yield Served(process, f"http://{HOST}:{process.env['PORT']}", database_url)


def scrape(server: ServerProcess) -> dict[str, float]:
    text_format = httpx.get(server.metrics_url, timeout=10).text
    samples = {}
    for line in text_format.splitlines():
        match = _SAMPLE.match(line)
        if match:
            samples[match.group(1) + (match.group(2) or "")] = float(match.group(3))
    return samples


def total(samples: dict[str, float], name: str, **labels: str) -> float:
    wanted = [f'{key}="{value}"' for key, value in labels.items()]
    return sum(
        value
        for series, value in samples.items()
        if series.startswith(name + "{") and all(label in series for label in wanted)
    )


def hammer(base_url: str, paths: list[str], concurrency: int = 16) -> list[int]:
    """GET every path, each on a fresh connection so the kernel spreads them over workers."""
    limits = httpx.Limits(max_keepalive_connections=0)
    with httpx.Client(base_url=base_url, limits=limits, timeout=30) as client:

        def get(path: str) -> int:
            return client.get(path).status_code

        with ThreadPoolExecutor(concurrency) as pool:
            return list(pool.map(get, paths))


def test_api_over_gunicorn(served: Served) -> None:
    with httpx.Client(base_url=served.base_url, headers=AUTH, timeout=10) as client:
        assert client.get("/").status_code == 200
        hello = client.get("/hello", headers={"User-Agent": "it", "X-Request-ID": "it-1"})
        assert hello.json() == {"message": "Hello, World!", "user_agent": "it"}
        assert hello.headers["X-Request-ID"] == "it-1"
        assert client.post("/add", json={"a": 0.1, "b": 0.2}).json() == {"result": 0.3}
        assert client.post("/checkin/carol").json()["success"] is True
        assert client.get("/last-seen/carol").status_code == 200
        name = f"it-{uuid.uuid4().hex[:8]}"
        created = client.post("/products", json={"name": name, "price": "9.99", "quantity": 1})
        assert created.status_code == 201
        url = created.headers["Location"]
        assert (
            client.post("/products", json={"name": name, "price": 1, "quantity": 1}).status_code
            == 409
        )
        etag = created.headers["ETag"]
        assert client.get(url, headers={"If-None-Match": etag}).status_code == 304
        patched = client.patch(url, json={"price": "10.01"}, headers={"If-Match": etag})
        assert patched.json()["price"] == "10.01"
        stale = client.patch(url, json={"price": "1.00"}, headers={"If-Match": etag})
        assert stale.status_code == 412
        assert stale.headers["content-type"] == "application/problem+json"
        oversize = client.post(
            "/add",
            content=b"{" + b" " * (2 * 1024 * 1024) + b"}",
            headers={"Content-Type": "application/json"},
        )
        assert oversize.status_code == 413
        assert client.delete(url).status_code == 204
        assert client.get("/nowhere").json()["status"] == 404
        assert client.get("/openapi.json").json()["openapi"] == "3.1.0"
    lines = served.log_lines()  # raises if any line is not JSON
    access = [line for line in lines if line["logger"] == "meatyapis_flask.access"]
    hello_line = next(line for line in access if line.get("request_id") == "it-1")
    assert hello_line["route"] == "/hello"
    assert hello_line["status"] == 200
    assert any(line["logger"] == "gunicorn.error" for line in lines)


def test_concurrent_writes_lose_nothing(served: Served) -> None:
    """8 clients add 1 to the same product 25 times each (read, then PATCH with If-Match,
    retried on 412): all 200 increments land, whichever worker served each write."""
    clients, increments = 8, 25
    with httpx.Client(base_url=served.base_url, headers=AUTH, timeout=30) as client:
        created = client.post(
            "/products", json={"name": f"counter-{uuid.uuid4().hex[:8]}", "price": 1, "quantity": 0}
        )
    url = created.headers["Location"]
    conflicts: list[int] = []

    def increment_many(_: int) -> None:
        # One kept-alive connection per client: 8 clients land on different workers.
        with httpx.Client(base_url=served.base_url, headers=AUTH, timeout=30) as client:
            for _ in range(increments):
                for _attempt in range(500):
                    current = client.get(url)
                    quantity = current.json()["quantity"]
                    response = client.patch(
                        url,
                        json={"quantity": quantity + 1},
                        headers={"If-Match": current.headers["ETag"]},
                    )
                    if response.status_code == 200:
                        break
                    assert response.status_code == 412, response.text
                    conflicts.append(1)
                else:
                    pytest.fail("an increment did not land within 500 attempts")

    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(increment_many, range(clients)))
    final = httpx.get(f"{served.base_url}{url}", timeout=10).json()
    assert final["quantity"] == clients * increments
    assert final["version"] == clients * increments + 1
    print(f"{served.database_url.split(':')[0]}: {len(conflicts)} stale writes refused with 412")


@pytest.fixture(scope="module")
def metrics_served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    tmp = tmp_path_factory.mktemp("gunicorn-metrics")
    database_url = f"sqlite:///{tmp / 'catalog.db'}"
    # Workers recycle every 80-90 requests: totals must survive worker restarts.
    with start_server(tmp, database_url, MAX_REQUESTS="80", MAX_REQUESTS_JITTER="10") as process:
        yield Served(process, f"http://{HOST}:{process.env['PORT']}", database_url)


@pytest.fixture(scope="module")
def flood_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """Without worker recycling, which would only slow a flood of thousands of requests."""
    tmp = tmp_path_factory.mktemp("gunicorn-flood")
    database_url = f"sqlite:///{tmp / 'catalog.db'}"
    with start_server(tmp, database_url, MAX_REQUESTS="0") as process:
        yield process


def test_metric_totals_are_exact_across_workers(metrics_served: Served) -> None:
    requests = 400
    before = scrape(metrics_served.process)
    statuses = hammer(metrics_served.base_url, ["/hello"] * requests)
    assert statuses == [200] * requests
    after = scrape(metrics_served.process)
    served_by = {
        line["process"]
        for line in metrics_served.log_lines()
        if line.get("route") == "/hello" and line["logger"] == "meatyapis_flask.access"
    }
    # At most 90 requests per worker process: 4 workers cannot serve 400 without recycling.
    assert len(served_by) > WORKERS, served_by
    # The master folds each recycled worker's files into the archive once it has reaped it.
    directory = Path(metrics_served.process.env["PROMETHEUS_MULTIPROC_DIR"])
    assert wait_until(lambda: (directory / "counter_archive.db").exists(), timeout=30)
    assert wait_until(lambda: len(list(directory.glob("counter_*.db"))) <= WORKERS + 1, 30)
    name = "http_request_duration_seconds_count"
    counted = total(after, name, handler="/hello") - total(before, name, handler="/hello")
    assert counted == requests
    inf_bucket = total(after, "http_request_duration_seconds_bucket", handler="/hello", le="+Inf")
    assert (
        inf_bucket
        - total(before, "http_request_duration_seconds_bucket", handler="/hello", le="+Inf")
        == requests
    )
    assert total(after, "http_requests_inprogress", handler="/hello") == 0
    assert after['meatyapis_build_info{app="meatyapis-flask",version="0.1.0"}'] == 1
    assert not any("/metrics" in series or "/readyz" in series for series in after)
    # The API port has no /metrics: only the metrics port (METRICS_PORT) serves it.
    assert httpx.get(f"{metrics_served.base_url}/metrics", timeout=10).status_code == 404


def test_random_paths_do_not_create_series(flood_server: ServerProcess) -> None:
    url = f"http://{HOST}:{flood_server.env['PORT']}"
    hammer(url, ["/hello", "/products/1", "/nothing"])  # series a flood could multiply
    flood = 2000
    before = scrape(flood_server)
    paths = [f"/random/{uuid.uuid4().hex}/{i}" for i in range(flood)]
    assert set(hammer(url, paths)) == {404}
    after = scrape(flood_server)
    # Every label set the flood uses existed after the single 404 above: not one new series.
    assert set(after) == set(before)
    counted = total(after, "http_request_duration_seconds_count", handler="none") - total(
        before, "http_request_duration_seconds_count", handler="none"
    )
    assert counted == flood


def log_count(server: ServerProcess, text: str) -> int:
    return server.log_path.read_text().count(text)


def _slow_upload(port: int, name: str) -> tuple[socket.socket, bytes]:
    """Send the headers and half the body of a POST /products; return the rest to send later."""
    body = json.dumps({"name": name, "price": "2.50", "quantity": 1}).encode()
    sock = socket.create_connection((HOST, port), timeout=60)
    head = (
        f"POST /products HTTP/1.1\r\nHost: {HOST}\r\nContent-Type: application/json\r\n"
        f"Authorization: {AUTH['Authorization']}\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode()
    half = len(body) // 2
    sock.sendall(head + body[:half])
    return sock, body[half:]


def _read_response(sock: socket.socket) -> tuple[int, bytes]:
    """Read until the server closes, then close our side too (the server waits for it)."""
    chunks = []
    with sock:
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    raw = b"".join(chunks)
    status = int(raw.split(b" ", 2)[1])
    return status, raw


def test_sigterm_drains_requests_in_flight(tmp_path: Path) -> None:
    uploads = 8
    database_url = f"sqlite:///{tmp_path / 'catalog.db'}"
    identity = IdentityStub()
    server = start_server(
        tmp_path, database_url, THREADS="16", GRACEFUL_TIMEOUT="30", IDENTITY_URL=identity.url
    )
    with identity, server:
        assert wait_until(lambda: log_count(server, "app loaded, serving") == WORKERS, 60)
        port = int(server.env["PORT"])
        in_flight = [_slow_upload(port, f"drain-{i}") for i in range(uploads)]
        # A readiness probe whose request line is in but whose headers are not finished yet.
        probe = socket.create_connection((HOST, port), timeout=60)
        probe.sendall(f"GET /readyz HTTP/1.1\r\nHost: {HOST}\r\n".encode())

        def uploads_in_app() -> bool:
            samples = scrape(server)
            return (
                total(samples, "http_requests_inprogress", handler="/products", method="POST")
                == uploads
            )

        assert wait_until(uploads_in_app, timeout=30), server.log_tail()
        started = time.monotonic()
        server.signal(signal.SIGTERM)

        draining = "draining, readiness is now 503"
        assert wait_until(lambda: log_count(server, draining) == WORKERS, 30), server.log_tail()
        probe.sendall(b"\r\n")
        status, raw = _read_response(probe)
        assert status == 503, raw
        assert b'"shutting down"' in raw
        for sock, rest in in_flight:
            sock.sendall(rest)
        # Read concurrently: a client that closes late holds up gunicorn's graceful close.
        with ThreadPoolExecutor(uploads) as pool:
            results = list(pool.map(_read_response, [sock for sock, _ in in_flight]))
        assert [status for status, _ in results] == [201] * uploads, results
        exit_code = server.wait(timeout=40)
        drained_in = time.monotonic() - started
        assert exit_code == 0, server.log_tail()
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            stored = connection.execute(
                text("SELECT COUNT(*) FROM products WHERE name LIKE 'drain-%'")
            ).scalar()
    finally:
        engine.dispose()
    assert stored == uploads
    print(
        f"SIGTERM: {uploads} uploads in flight completed; master exited 0 after {drained_in:.2f}s"
    )


def test_what_gunicorn_answers_itself_is_a_problem_with_nosniff(served: Served) -> None:
    """Too many header fields: gunicorn refuses the request before the app sees it."""
    port = int(served.process.env["PORT"])
    flood = b"".join(b"X-Flood-%d: x\r\n" % i for i in range(200))
    with socket.create_connection((HOST, port), timeout=30) as conn:
        conn.sendall(b"GET /hello HTTP/1.1\r\nHost: h\r\n" + flood + b"\r\n")
        raw = b""
        while chunk := conn.recv(65536):
            raw += chunk
    head, _, body = raw.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 431 "), head
    assert b"Content-Type: application/problem+json" in head
    assert b"X-Content-Type-Options: nosniff" in head
    assert json.loads(body)["status"] == 431
