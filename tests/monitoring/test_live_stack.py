"""The live proof: both services (several gunicorn workers each) and a real Prometheus whose
configuration, rules and flags come from `helm template charts/monitoring` (Kubernetes pod
discovery swapped for the same pods as static targets, see prometheus/local.py), real traffic.
It runs on Debian's Prometheus 2.x and on Prometheus 3 (what the chart and compose.yaml deploy;
`.tools/bin/prometheus3`, installed by scripts/install-tools.sh).

First healthy traffic (reads, authenticated writes, 401s and 404s, no 5xx): every dashboard
query and recording rule has data, the error ratios are 0 and the error budget is whole. Then
errors are injected.

Alerts fire and resolve within the test's time by loading, next to the real rules, the same SLO
rules and alerts time-compressed 60x (`prometheus.generate.rule_groups(time_scale=60)`: windows
and `for:` divided by 60, e.g. 1h/5m -> 1m/5s) through the chart's `prometheus.extraRuleGroups`
value. The thresholds, expressions and rule structure are the real ones; the promtool unit tests
prove the real windows and durations.
"""

from __future__ import annotations

import contextlib
import email.message
import http.server
import signal
import sqlite3
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from prometheus import generate as rules
from prometheus import local
from tests.charts.render import find_object, render_chart
from tests.monitoring import promql
from tests.support.net import HOST, free_port
from tests.support.processes import ServerProcess, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.slow]

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
# The only queries allowed to return nothing: Kubernetes' own metrics (cAdvisor,
# kube-state-metrics), which no process here exposes. They must still be valid PromQL.
KUBERNETES_ONLY = {
    ("meatyapis-service-detail.json", "CPU by pod"),
    ("meatyapis-service-detail.json", "Memory by pod"),
    ("meatyapis-service-detail.json", "Container restarts by pod"),
}
# Series Prometheus itself attaches to every target.
PROMETHEUS_SYNTHETIC = {"up", "scrape_duration_seconds"}
RATE_INTERVAL = "15s"  # what Grafana's $__rate_interval becomes at a 1s scrape interval, rounded up
EXPOSITION_FORMATS = {
    "text/plain": {"0.0.4", "1.0.0"},
    "application/openmetrics-text": {"0.0.1", "1.0.0"},
}
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


def _service(name: str, cli: str, tmp: Path, extra: dict[str, str]) -> Service:
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


@pytest.fixture(scope="module", params=sorted(PROMETHEUS_BINARIES))
def stack(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    binary = PROMETHEUS_BINARIES[request.param]
    assert Path(binary).is_file() or binary == "prometheus", (
        f"{binary} missing: run `make tools` (scripts/install-tools.sh)"
    )
    version = local.major_version(binary)
    assert version == int(request.param[-1]), f"{binary} is Prometheus {version}"
    tmp = tmp_path_factory.mktemp(f"live-{request.param}")
    flask = _service(FLASK, "meatyapis-flask", tmp, {})
    fastapi = _service(FASTAPI, "meatyapis-fastapi", tmp, {"DEV_MODE": "true"})
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


def _exposed_metric_names(service: Service) -> set[str]:
    names = set()
    for line in httpx.get(service.metrics_url, timeout=10).text.splitlines():
        if line and not line.startswith("#"):
            names.add(line.split("{", 1)[0].split(" ", 1)[0])
    return names


def _recorded_names() -> set[str]:
    data = yaml.safe_load(rules.SOURCE.read_text())
    return {r["record"] for g in data["groups"] for r in g["rules"] if "record" in r}


def _errors(db: Path, on: bool) -> None:
    """Fault injection: hide the products table from the catalog (its answers turn 503)."""
    with contextlib.closing(sqlite3.connect(db)) as connection:
        if on:
            connection.execute("ALTER TABLE products RENAME TO products_hidden")
        else:
            connection.execute("ALTER TABLE products_hidden RENAME TO products")
        connection.commit()


def test_metrics_content_type(stack: Stack) -> None:
    """Both services answer a real scrape (the Accept header this Prometheus sends) with a
    Content-Type Prometheus parses: Prometheus 3 fails a scrape with a missing or unknown one,
    and the chart's fallback_scrape_protocol is only a safety net for other pods."""
    assert wait_until(lambda: stack.accept.accept, timeout=30), "the probe target was not scraped"
    sent = stack.accept.accept[-1]
    assert "text/plain" in sent, sent
    for service in (stack.flask, stack.fastapi):
        response = httpx.get(service.metrics_url, headers={"Accept": sent}, timeout=10)
        assert response.status_code == 200, service.name
        header = email.message.Message()
        header["Content-Type"] = response.headers.get("Content-Type", "")
        media_type = header.get_content_type()
        assert media_type in EXPOSITION_FORMATS, f"{service.name}: {header['Content-Type']}"
        version = header.get_param("version")
        assert version in EXPOSITION_FORMATS[media_type], (
            f"{service.name}: {header['Content-Type']}"
        )
        assert str(header.get_param("charset", "utf-8")).lower() == "utf-8", service.name
        assert "meatyapis_build_info" in response.text, service.name


def test_live_stack(stack: Stack) -> None:
    # 1. every target is up, with the labels the chart's relabeling produces
    assert wait_until(lambda: len(stack.query("up == 1")) == 4, timeout=30), stack.query("up")
    jobs = {r["metric"]["job"] for r in stack.query("up")}
    assert jobs == {"prometheus", "kubernetes-pods", ACCEPT_PROBE}
    labels = {r["metric"]["service"]: r["metric"] for r in stack.query('up{service!=""}')}
    for pod in stack.pods:
        app = pod.labels["app.kubernetes.io/name"]
        assert labels[app]["namespace"] == NAMESPACE
        assert labels[app]["pod"] == f"{app}-0"
        assert labels[app]["instance"] == pod.address
    assert stack.query('prometheus_build_info{job="prometheus"}')[0]["metric"][
        "version"
    ].startswith(f"{stack.version}.")

    with traffic(stack):
        # 2. healthy traffic: every panel and recording rule has data; no error, a whole budget
        assert wait_until(lambda: _serving(stack) == {FLASK, FASTAPI}, timeout=45), stack.query(
            "http_request_duration_seconds_count"
        )
        check_healthy(stack)

        # 3. inject errors: the availability alert fires (compressed copy) and the real alert's
        # condition holds on the real recordings
        _errors(stack.flask_db, on=True)
        try:
            assert wait_until(
                lambda: stack.firing(
                    COMPRESSED_ALERTS, "MeatyAPIsAvailabilityBudgetBurnFast", FLASK
                ),
                timeout=60,
                interval=1,
            ), stack.alerts(COMPRESSED_ALERTS, "MeatyAPIsAvailabilityBudgetBurnFast")
            assert not stack.firing(
                COMPRESSED_ALERTS, "MeatyAPIsAvailabilityBudgetBurnFast", FASTAPI
            )
            fast = next(
                a for a in _alert_rules() if a["alert"] == "MeatyAPIsAvailabilityBudgetBurnFast"
            )
            assert wait_until(
                lambda: FLASK in {r["metric"]["service"] for r in stack.query(fast["expr"])},
                timeout=30,
                interval=1,
            )

            # 4. with errors and 4xx in the data: every dashboard query and recording rule
            assert check_dashboards(stack) == []
            check_recording_rules(stack)
        finally:
            _errors(stack.flask_db, on=False)

        # 5. errors stop: the alert resolves once the short windows are clean
        assert wait_until(
            lambda: (
                not stack.firing(COMPRESSED_ALERTS, "MeatyAPIsAvailabilityBudgetBurnFast", FLASK)
            ),
            timeout=90,
            interval=1,
        )

        # 6. a service dies: target-down fires; it comes back: resolved
        stack.fastapi.kill()
        assert wait_until(
            lambda: stack.firing(COMPRESSED_ALERTS, "MeatyAPIsTargetDown", FASTAPI),
            timeout=45,
            interval=1,
        ), stack.alerts(COMPRESSED_ALERTS, "MeatyAPIsTargetDown")
        stack.fastapi.start()
        assert wait_until(
            lambda: not stack.firing(COMPRESSED_ALERTS, "MeatyAPIsTargetDown", FASTAPI),
            timeout=45,
            interval=1,
        )
        assert stack.query(f'up{{service="{FASTAPI}"}}')[0]["value"][1] == "1"


def _serving(stack: Stack) -> set[str]:
    """The services with requests over the dashboards' rate window, once the catalog's calls
    to the identity service are in the data too."""
    if not stack.query("meatyapis_outbound_requests_total"):
        return set()
    expr = f"sum by (service) (rate(http_request_duration_seconds_count[{RATE_INTERVAL}])) > 0"
    return {r["metric"]["service"] for r in stack.query(expr)}


def _alert_rules() -> list[dict[str, Any]]:
    data = yaml.safe_load(rules.SOURCE.read_text())
    return [r for g in data["groups"] for r in g["rules"] if "alert" in r]


def _values(stack: Stack, expr: str) -> dict[str, float]:
    """service -> value of a query (per-route or per-pod series keyed by all their labels)."""
    return {
        ",".join(f"{k}={v}" for k, v in sorted(r["metric"].items())): float(r["value"][1])
        for r in stack.query(expr)
    }


def check_healthy(stack: Stack) -> None:
    """Requests and no 5xx: every panel and recording has data, the 5xx ratios and availability
    burn rates are 0, the availability budget is whole, no availability alert is pending."""
    assert stack.query('http_request_duration_seconds_count{status=~"4.."}'), "no 4xx yet"
    assert stack.query('http_request_duration_seconds_count{status=~"5.."}') == [], "not healthy"
    empty = check_dashboards(stack)
    total = sum(1 for name in promql.all_dashboards() for _ in promql.panel_queries(name))
    print(
        f"healthy traffic: {total - len(KUBERNETES_ONLY) - len(empty)} of {total} dashboard "
        f"queries return data ({len(KUBERNETES_ONLY)} Kubernetes-only excepted)",
        *empty,
        sep="\n  ",
    )
    assert empty == [], "queries without data on healthy traffic"
    check_recording_rules(stack)

    values = {"namespace": NAMESPACE, "pod": ".*", "route": ".*", "window": "30d",
              "__rate_interval": RATE_INTERVAL, "service": ".*"}  # fmt: skip
    expected = {  # panel title -> the value every series of its queries must have
        "5xx ratio": 0.0,
        "5xx ratio by service": 0.0,
        "5xx ratio by route": 0.0,
        "5xx ratio by pod": 0.0,
        "Availability: error budget remaining": 1.0,
        "Availability: SLI over the window": 1.0,
        "Availability burn rate: paging windows": 0.0,
        "Availability burn rate: ticket windows": 0.0,
    }
    seen = set()
    for name in promql.all_dashboards():
        for query in promql.panel_queries(name):
            if query.panel in expected:
                found = _values(stack, promql.expand(query.expr, values))
                assert found, query.expr
                assert set(found.values()) == {expected[query.panel]}, (query.panel, found)
                seen.add(query.panel)
    assert seen == set(expected)
    for record in sorted(_recorded_names()):
        if "5xx" in record:
            found = _values(stack, f'{record}{{namespace="{NAMESPACE}"}}')
            assert set(found.values()) == {0.0}, (record, found)
    for group in ("meatyapis-alerts", COMPRESSED_ALERTS):
        for alert in ("MeatyAPIsAvailabilityBudgetBurnFast", "MeatyAPIsAvailabilityBudgetBurnSlow"):
            assert stack.alerts(group, alert) == [], (group, alert)


def check_dashboards(stack: Stack) -> list[str]:
    """Every panel query, with the variables set to this stack's values, is valid PromQL;
    returns those without data (KUBERNETES_ONLY are expected empty). Every metric a query names
    is exposed by the services, recorded by the rules, or one Prometheus attaches to targets."""
    known = (
        _exposed_metric_names(stack.flask)
        | _exposed_metric_names(stack.fastapi)
        | _recorded_names()
        | PROMETHEUS_SYNTHETIC
    )
    values = {
        "namespace": NAMESPACE,
        "pod": ".*",
        "route": ".*",
        "window": "30d",
        "__rate_interval": RATE_INTERVAL,
    }
    checked, exempt, empty, unknown = 0, set(), [], []
    for name in promql.all_dashboards():
        for variable, selector, label in promql.variable_queries(name):
            selector = promql.expand(selector, {**values, "service": ".*"})
            found = httpx.get(
                f"{stack.prometheus}/api/v1/label/{label}/values",
                params={"match[]": selector},
                timeout=10,
            ).json()["data"]
            assert found, f"{name}: variable ${variable} has no values ({selector})"
            if variable == "service":
                assert {FLASK, FASTAPI} <= set(found)
        # the detail dashboard is about one service: the catalog, which also calls out
        service = FLASK if "service-detail" in name else ".*"
        for query in promql.panel_queries(name):
            result = stack.query(promql.expand(query.expr, {**values, "service": service}))
            checked += 1
            if (name, query.panel) in KUBERNETES_ONLY:
                exempt.add((name, query.panel))
                assert all(m.startswith(("container_", "kube_")) for m in query.metrics())
                continue
            # an instant gauge selector is empty right after one failed scrape (staleness
            # marker) on this busy machine: give such a query a few more scrapes
            expr = promql.expand(query.expr, {**values, "service": service})
            if not result and not wait_until(lambda e=expr: stack.query(e), timeout=10):
                empty.append(f"{name} / {query.panel}: {query.expr}")
            unknown += [f"{name} / {query.panel}: {m}" for m in query.metrics() - known]
    assert exempt == KUBERNETES_ONLY
    assert unknown == [], "metrics no service exposes"
    assert checked >= 40
    return empty


def check_recording_rules(stack: Stack) -> None:
    missing = [
        name
        for name in sorted(_recorded_names())
        if not stack.query(f'{name}{{namespace="{NAMESPACE}"}}')
    ]
    assert missing == [], "recording rules without data"
    # every alert expression is valid PromQL on the real data (firing or not)
    alerts = _alert_rules()
    assert len(alerts) == 7
    for alert in alerts:
        stack.query(alert["expr"])
