"""Both services (several gunicorn workers each) and a real Prometheus configured by
`helm template charts/monitoring` on 127.0.0.1, with background traffic to both services."""

from __future__ import annotations

import contextlib
import http.server
import signal
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from prometheus import generate as rules
from prometheus import local
from tests.charts.render import find_object, render_chart
from tests.support.net import HOST, free_port
from tests.support.processes import ServerProcess

# Debian's Prometheus 2.x on PATH, and Prometheus 3 from scripts/install-tools.sh.
PROMETHEUS_BINARIES = {
    "prometheus2": "prometheus",
    "prometheus3": str(rules.ROOT / ".tools" / "bin" / "prometheus3"),
}

NAMESPACE = "local"
FLASK, FASTAPI = "meatyapis-flask", "meatyapis-fastapi"
TIME_SCALE = 60
COMPRESSED_ALERTS = f"meatyapis-alerts-x{TIME_SCALE}"
WORKERS = "3"
ACCEPT_PROBE = "accept-probe"  # a scrape job whose target records what Prometheus asks for


@dataclass
class Service:
    name: str
    cli: str
    port: int
    env: dict[str, str]
    log: Path
    process: ServerProcess | None = None

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def metrics_address(self) -> str:
        """Where Prometheus scrapes it: the port of its own that gunicorn serves /metrics on."""
        return f"{HOST}:{self.env['METRICS_PORT']}"

    @property
    def metrics_url(self) -> str:
        return f"http://{self.metrics_address}/metrics"

    def start(self) -> None:
        self.process = ServerProcess(
            [self.cli, "serve"], log_path=self.log, env=self.env, ready_url=f"{self.url}/readyz"
        ).start()

    def kill(self) -> None:
        assert self.process is not None
        self.process.stop(signal.SIGKILL)


class AcceptProbe(http.server.ThreadingHTTPServer):
    """A scrape target that records the Accept header of Prometheus' scrapes."""

    def __init__(self) -> None:
        self.accept: list[str] = []
        super().__init__((HOST, 0), _AcceptHandler)

    @property
    def address(self) -> str:
        return f"{HOST}:{self.server_address[1]}"


class _AcceptHandler(http.server.BaseHTTPRequestHandler):
    server: AcceptProbe

    def do_GET(self) -> None:
        self.server.accept.append(self.headers.get("Accept", ""))
        body = b"# TYPE accept_probe gauge\naccept_probe 1\n"
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@dataclass
class Stack:
    prometheus: str
    flask: Service
    fastapi: Service
    flask_db: Path
    version: int  # Prometheus' major version
    accept: AcceptProbe
    pods: list[local.Pod] = field(default_factory=list)

    def query(self, expr: str) -> list[dict[str, Any]]:
        response = httpx.get(f"{self.prometheus}/api/v1/query", params={"query": expr}, timeout=10)
        body = response.json()
        assert body["status"] == "success", f"{expr}\n{body}"
        result: list[dict[str, Any]] = body["data"]["result"]
        return result

    def alerts(self, group: str, name: str) -> list[dict[str, Any]]:
        body = httpx.get(f"{self.prometheus}/api/v1/rules", params={"type": "alert"}, timeout=10)
        for g in body.json()["data"]["groups"]:
            if g["name"] == group:
                for rule in g["rules"]:
                    if rule["name"] == name:
                        found: list[dict[str, Any]] = rule["alerts"]
                        return found
        raise AssertionError(f"no alert {name} in group {group}")

    def firing(self, group: str, name: str, service: str) -> bool:
        return any(
            a["state"] == "firing" and a["labels"].get("service") == service
            for a in self.alerts(group, name)
        )


def new_service(name: str, cli: str, tmp: Path, extra: dict[str, str]) -> Service:
    port = free_port()
    env = {
        "PORT": str(port),
        "METRICS_PORT": str(free_port()),
        "BIND_HOST": HOST,
        "WEB_CONCURRENCY": WORKERS,
        "DATABASE_URL": f"sqlite:///{tmp / name}.db",
        "PROMETHEUS_MULTIPROC_DIR": str(tmp / f"{name}-metrics"),
        "LOG_LEVEL": "WARNING",
        **extra,
    }
    ServerProcess([cli, "migrate"], log_path=tmp / f"{name}.log", env=env).start().wait(120)
    return Service(name, cli, port, env, tmp / f"{name}.log")


@contextlib.contextmanager
def traffic(stack: Stack) -> Iterator[threading.Event]:
    """Background requests to both services, good and bad (4xx); bounded in time and count."""
    stop = threading.Event()

    def drive() -> None:
        with httpx.Client(timeout=5) as client:
            token = ""
            for i in range(20_000):
                if stop.is_set():
                    return
                with contextlib.suppress(httpx.HTTPError):
                    f, a = stack.flask.url, stack.fastapi.url
                    client.get(f"{f}/products")
                    client.get(f"{f}/hello")
                    client.get(f"{f}/products/{i % 3 + 1}")  # 200 or 404
                    # writes need a token the catalog checks with the identity service (its
                    # outbound calls); a forged one is refused
                    client.post(
                        f"{f}/products",
                        json={"name": f"p{i}", "price": 1, "quantity": 1},
                        headers={"Authorization": f"Bearer {token or 'forged'}"},
                    )
                    client.get(f"{f}/no-such-page")  # 404, handler="none"
                    client.get(f"{a}/hello")
                    client.get(f"{a}/users/me")  # 401
                    if not token and i % 20 == 0:
                        client.post(
                            f"{a}/register",
                            json={"username": "ada", "email": "ada@example.com",
                                  "password": "correct horse battery staple"},
                        )  # fmt: skip
                        login = client.post(
                            f"{a}/login",
                            json={"username": "ada", "password": "correct horse battery staple"},
                        )
                        token = login.json().get("access_token", "") if login.is_success else ""
                    if token:
                        client.get(f"{a}/users/me", headers={"Authorization": f"Bearer {token}"})
                        client.post(
                            f"{f}/products",
                            json={"name": f"q{i}", "price": 1, "quantity": 1},
                            headers={"Authorization": "Bearer forged"},
                        )
                time.sleep(0.02)

    thread = threading.Thread(target=drive, daemon=True)
    thread.start()
    try:
        yield stop
    finally:
        stop.set()
        thread.join(timeout=15)


@contextlib.contextmanager
def running_stack(name: str, tmp: Path) -> Iterator[Stack]:
    """Both services and the Prometheus `name` (a key of PROMETHEUS_BINARIES) configured by
    the monitoring chart, the services' pods as the meatyapis chart renders them."""
    binary = PROMETHEUS_BINARIES[name]
    assert Path(binary).is_file() or binary == "prometheus", (
        f"{binary} missing: run `make tools` (scripts/install-tools.sh)"
    )
    version = local.major_version(binary)
    assert version == int(name[-1]), f"{binary} is Prometheus {version}"
    flask = new_service(FLASK, "meatyapis-flask", tmp, {})
    fastapi = new_service(FASTAPI, "meatyapis-fastapi", tmp, {"DEV_MODE": "true"})
    flask.env["IDENTITY_URL"] = fastapi.url
    accept = AcceptProbe()
    prom_port = free_port()
    values = {
        "prometheus": {
            "port": prom_port,
            "scrapeInterval": "1s",
            "scrapeTimeout": "1s",
            "evaluationInterval": "1s",
            "extraRuleGroups": rules.rule_groups(time_scale=TIME_SCALE)["groups"],
            "extraScrapeConfigs": [
                {"job_name": ACCEPT_PROBE, "static_configs": [{"targets": [accept.address]}]}
            ],
        }
    }
    chart = local.render(local.merge(values, local.version_values(version)))
    # the pods as the meatyapis chart labels and annotates them (only the port is the local one)
    app_chart = render_chart("meatyapis", namespace=NAMESPACE)
    pods = [
        local.Pod.from_template(
            find_object(app_chart, "Deployment", service.name)["spec"]["template"],
            service.metrics_address,
            NAMESPACE,
        )
        for service in (flask, fastapi)
    ]
    config_file = local.write(
        tmp / "prometheus", local.with_static_pods(chart.config, pods), chart.rules
    )
    prometheus = ServerProcess(
        [
            binary,
            *local.local_args(
                chart.args, config_file, tmp / "prometheus" / "data", f"{HOST}:{prom_port}"
            ),
        ],
        log_path=tmp / "prometheus.log",
        ready_url=f"http://{HOST}:{prom_port}/-/ready",
    )
    probe = threading.Thread(target=accept.serve_forever, daemon=True)
    try:
        probe.start()
        fastapi.start()
        flask.start()
        prometheus.start()
        yield Stack(
            f"http://{HOST}:{prom_port}", flask, fastapi, tmp / f"{FLASK}.db", version, accept, pods
        )
    finally:
        prometheus.stop()
        for service in (flask, fastapi):
            if service.process is not None:
                service.process.stop()
        accept.shutdown()
        accept.server_close()
