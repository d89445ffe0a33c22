"""What the live stack must show: every dashboard query and recording rule with data, the
error ratios and budgets of healthy traffic, and the fault injected to turn them."""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path
from typing import Any

import httpx
import yaml

from prometheus import generate as rules
from tests.monitoring import promql
from tests.monitoring.live_stack import COMPRESSED_ALERTS, FASTAPI, FLASK, NAMESPACE, Service, Stack
from tests.support.processes import wait_until

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


def exposed_metric_names(service: Service) -> set[str]:
    names = set()
    for line in httpx.get(service.metrics_url, timeout=10).text.splitlines():
        if line and not line.startswith("#"):
            names.add(line.split("{", 1)[0].split(" ", 1)[0])
    return names


def recorded_names() -> set[str]:
    data = yaml.safe_load(rules.SOURCE.read_text())
    return {r["record"] for g in data["groups"] for r in g["rules"] if "record" in r}


def inject_errors(db: Path, on: bool) -> None:
    """Fault injection: hide the products table from the catalog (its answers turn 503)."""
    with contextlib.closing(sqlite3.connect(db)) as connection:
        if on:
            connection.execute("ALTER TABLE products RENAME TO products_hidden")
        else:
            connection.execute("ALTER TABLE products_hidden RENAME TO products")
        connection.commit()


def serving(stack: Stack) -> set[str]:
    """The services with requests over the dashboards' rate window, once the catalog's calls
    to the identity service are in the data too."""
    if not stack.query("meatyapis_outbound_requests_total"):
        return set()
    expr = f"sum by (service) (rate(http_request_duration_seconds_count[{RATE_INTERVAL}])) > 0"
    return {r["metric"]["service"] for r in stack.query(expr)}


def alert_rules() -> list[dict[str, Any]]:
    data = yaml.safe_load(rules.SOURCE.read_text())
    return [r for g in data["groups"] for r in g["rules"] if "alert" in r]


def series_values(stack: Stack, expr: str) -> dict[str, float]:
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
                found = series_values(stack, promql.expand(query.expr, values))
                assert found, query.expr
                assert set(found.values()) == {expected[query.panel]}, (query.panel, found)
                seen.add(query.panel)
    assert seen == set(expected)
    for record in sorted(recorded_names()):
        if "5xx" in record:
            found = series_values(stack, f'{record}{{namespace="{NAMESPACE}"}}')
            assert set(found.values()) == {0.0}, (record, found)
    for group in ("meatyapis-alerts", COMPRESSED_ALERTS):
        for alert in ("MeatyAPIsAvailabilityBudgetBurnFast", "MeatyAPIsAvailabilityBudgetBurnSlow"):
            assert stack.alerts(group, alert) == [], (group, alert)


def check_dashboards(stack: Stack) -> list[str]:
    """Every panel query, with the variables set to this stack's values, is valid PromQL;
    returns those without data (KUBERNETES_ONLY are expected empty). Every metric a query names
    is exposed by the services, recorded by the rules, or one Prometheus attaches to targets."""
    known = (
        exposed_metric_names(stack.flask)
        | exposed_metric_names(stack.fastapi)
        | recorded_names()
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
        for name in sorted(recorded_names())
        if not stack.query(f'{name}{{namespace="{NAMESPACE}"}}')
    ]
    assert missing == [], "recording rules without data"
    # every alert expression is valid PromQL on the real data (firing or not)
    alerts = alert_rules()
    assert len(alerts) == 7
    for alert in alerts:
        stack.query(alert["expr"])
