"""What the chart lets in from outside: never `/metrics` (Ingress and Route send it to a
Service with no endpoints), client addresses only from the proxies named, and the identity
service's documentation, hashing and token lifetime as configured."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from tests.charts.meatyapis import CHART, CHART_DIR, COMPONENTS, config, objects
from tests.charts.render import find_object, find_objects, render_chart

SCENARIOS = {path.name: path for path in (CHART_DIR / "ci").glob("*-values.yaml")}
API_PATHS = ["/", "/login", "/products/7", "/docs"]
METRICS_PATHS = ["/metrics", "/metrics/", "/metrics/x"]


def ingress_backend(ingress: dict[str, Any], path: str) -> str | None:
    """The Service an Ingress sends `path` to: an Exact match first, else the longest Prefix
    match by path elements (the Ingress API's rule)."""
    paths = [p for rule in ingress["spec"]["rules"] for p in rule["http"]["paths"]]
    exact = [p for p in paths if p["pathType"] == "Exact" and p["path"] == path]
    if exact:
        return str(exact[0]["backend"]["service"]["name"])

    def elements(value: str) -> list[str]:
        return [part for part in value.split("/") if part]

    prefixes = [
        p
        for p in paths
        if p["pathType"] == "Prefix"
        and elements(path)[: len(elements(p["path"]))] == elements(p["path"])
    ]
    if not prefixes:
        return None
    best = max(prefixes, key=lambda p: len(elements(p["path"])))
    return str(best["backend"]["service"]["name"])


def route_backend(routes: list[dict[str, Any]], host: str, path: str) -> str | None:
    """The Service the OpenShift router sends `path` on `host` to: the longest path prefix."""
    matching = [
        r
        for r in routes
        if r["spec"].get("host") == host and path.startswith(r["spec"].get("path", ""))
    ]
    if not matching:
        return None
    best = max(matching, key=lambda r: len(r["spec"].get("path", "")))
    return str(best["spec"]["to"]["name"])


def assert_closed(objs: list[dict[str, Any]], name: str) -> None:
    """A Service with no selector: Kubernetes gives it no endpoints, nothing answers."""
    closed = find_object(objs, "Service", name)
    assert "selector" not in closed["spec"]
    assert closed["metadata"]["labels"]["app.kubernetes.io/component"] == "closed"


@pytest.fixture(scope="module")
def production() -> list[dict[str, Any]]:
    return render_chart(CHART, values_files=[SCENARIOS["02-production-values.yaml"]])


@pytest.fixture(scope="module")
def openshift() -> list[dict[str, Any]]:
    return render_chart(CHART, values_files=[SCENARIOS["03-openshift-values.yaml"]])


@pytest.mark.parametrize("component", COMPONENTS)
def test_the_ingress_never_routes_metrics(production: list[dict[str, Any]], component: str) -> None:
    name = f"meatyapis-{component}"
    ingress = find_object(production, "Ingress", name)
    for path in [*API_PATHS, "/metricsx"]:  # Prefix matches whole path elements
        assert ingress_backend(ingress, path) == name, path
    for path in METRICS_PATHS:
        assert ingress_backend(ingress, path) == f"{name}-closed", path
    assert_closed(production, f"{name}-closed")


@pytest.mark.parametrize("path_type", ["Prefix", "ImplementationSpecific"])
def test_an_ingress_path_of_ones_own_keeps_metrics_closed(path_type: str) -> None:
    values = {"ingress": {"enabled": True, "path": "/", "pathType": path_type}}
    objs = objects({"fastapi": values})
    paths = find_object(objs, "Ingress")["spec"]["rules"][0]["http"]["paths"]
    assert paths[1] == {
        "path": "/metrics",
        "pathType": "Prefix",
        "backend": {"service": {"name": "meatyapis-fastapi-closed", "port": {"name": "http"}}},
    }


@pytest.mark.parametrize("component", COMPONENTS)
def test_the_route_never_routes_metrics(openshift: list[dict[str, Any]], component: str) -> None:
    name = f"meatyapis-{component}"
    routes = find_objects(openshift, "Route")
    host = find_object(openshift, "Route", name)["spec"]["host"]
    for path in API_PATHS:
        assert route_backend(routes, host, path) == name, path
    for path in METRICS_PATHS:
        assert route_backend(routes, host, path) == f"{name}-closed", path
    closed_route = find_object(openshift, "Route", f"{name}-closed")["spec"]
    assert closed_route["tls"] == find_object(openshift, "Route", name)["spec"]["tls"]
    assert_closed(openshift, f"{name}-closed")


def test_a_route_on_its_own_path_needs_no_closed_route() -> None:
    objs = objects({"fastapi": {"route": {"enabled": True, "path": "/auth"}}})
    assert [r["metadata"]["name"] for r in find_objects(objs, "Route")] == ["meatyapis-fastapi"]
    assert find_objects(objs, "Service", "meatyapis-fastapi-closed") == []


def test_no_closed_service_without_a_way_in() -> None:
    assert [s["metadata"]["name"] for s in find_objects(objects(), "Service")] == [
        "meatyapis-fastapi",
        "meatyapis-flask",
    ]


def test_no_value_anywhere_trusts_every_proxy() -> None:
    """The defaults and every scenario name the proxies; production trusts its controller's
    range, as the chart's README tells."""
    values = [yaml.safe_load((CHART_DIR / "values.yaml").read_text())]
    values += [yaml.safe_load(path.read_text()) or {} for path in SCENARIOS.values()]
    for document in values:
        for component in COMPONENTS:
            proxies = str(document.get(component, {}).get("forwardedAllowIps", "127.0.0.1"))
            assert "*" not in proxies
    production = render_chart(CHART, values_files=[SCENARIOS["02-production-values.yaml"]])
    for component in COMPONENTS:
        assert config(production, component)["FORWARDED_ALLOW_IPS"] == "10.244.0.0/16"


def test_identity_defaults() -> None:
    """Docs off, argon2id as the service's defaults one at a time per worker, 12-hour tokens."""
    environment = config(objects(), "fastapi")
    assert environment["DOCS_ENABLED"] == "false"
    assert environment["PASSWORD_HASH_TIME_COST"] == "3"
    assert environment["PASSWORD_HASH_MEMORY_KIB"] == "65536"
    assert environment["PASSWORD_HASH_CONCURRENCY"] == "1"
    assert environment["TOKEN_MAX_LIFETIME_SECONDS"] == "43200"


def test_hashing_that_fits_a_larger_limit_renders() -> None:
    values = {
        "workers": 4,
        "passwordHashing": {"concurrency": 2},
        "resources": {"limits": {"memory": "1536Mi"}},
        "docs": {"enabled": True},
    }
    environment = config(objects({"fastapi": values}), "fastapi")
    assert environment["PASSWORD_HASH_CONCURRENCY"] == "2"
    assert environment["WEB_CONCURRENCY"] == "4"
    assert environment["DOCS_ENABLED"] == "true"


def test_without_a_memory_limit_nothing_is_checked() -> None:
    values = {"passwordHashing": {"concurrency": 8}, "resources": {"limits": {"memory": None}}}
    environment = config(objects({"fastapi": values}), "fastapi")
    assert environment["PASSWORD_HASH_CONCURRENCY"] == "8"
