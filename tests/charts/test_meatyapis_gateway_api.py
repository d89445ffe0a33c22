"""charts/meatyapis behind a Gateway: an HTTPRoute per service (ci/04-gateway-api-values.yaml)
with parent Gateways, host names, path matches and timeouts, /metrics never routed, the
NetworkPolicy letting the gateway in; bad values fail the render naming them."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tests.charts import quality
from tests.charts.meatyapis import CHART, CHART_DIR, COMPONENTS, NAMESPACE, objects
from tests.charts.render import find_object, find_objects, render_chart, render_error

GATEWAY = CHART_DIR / "ci" / "04-gateway-api-values.yaml"


@pytest.fixture(scope="module")
def gateway() -> list[dict[str, Any]]:
    return render_chart(CHART, values_files=[GATEWAY], namespace=NAMESPACE)


def route_values(**overrides: Any) -> dict[str, Any]:
    route = {"enabled": True, "parentRefs": [{"name": "public"}], **overrides}
    return {"flask": {"httpRoute": route}}


def test_an_httproute_per_service_to_its_service_port(gateway: list[dict[str, Any]]) -> None:
    flask = find_object(gateway, "HTTPRoute", "meatyapis-flask")["spec"]
    assert flask["parentRefs"] == [
        {"name": "public", "namespace": "gateway-system", "sectionName": "https"}
    ]
    assert flask["hostnames"] == ["catalog.example.com"]
    served = flask["rules"][1]
    assert served["matches"] == [{"path": {"type": "PathPrefix", "value": "/"}}]
    assert served["backendRefs"] == [{"name": "meatyapis-flask", "port": 8080}]
    assert served["timeouts"] == {"request": "30s", "backendRequest": "10s"}
    fastapi = find_object(gateway, "HTTPRoute", "meatyapis-fastapi")["spec"]
    assert fastapi["rules"][1]["matches"] == [
        {"path": {"type": "PathPrefix", "value": "/auth"}},
        {"path": {"type": "Exact", "value": "/healthz"}},
    ]
    assert "timeouts" not in fastapi["rules"][1]
    assert find_objects(gateway, "Ingress") == []


@pytest.mark.parametrize("component", COMPONENTS)
def test_metrics_are_never_routed(gateway: list[dict[str, Any]], component: str) -> None:
    """The /metrics rule has no backend (the gateway answers 404), and as the longest prefix it
    wins over every path the chart accepts (Gateway API match precedence)."""
    rules = find_object(gateway, "HTTPRoute", f"meatyapis-{component}")["spec"]["rules"]
    blocked = rules[0]
    assert blocked["matches"] == [{"path": {"type": "PathPrefix", "value": "/metrics"}}]
    assert "backendRefs" not in blocked
    assert all(r.get("backendRefs") for r in rules[1:])
    for rule in rules[1:]:
        for match in rule["matches"]:
            assert not match["path"]["value"].startswith("/metrics")
            assert len(match["path"]["value"]) < len("/metrics") or match["path"]["type"] == "Exact"


def test_httproutes_match_the_gateway_api_crd_schema(gateway: list[dict[str, Any]]) -> None:
    routes = find_objects(gateway, "HTTPRoute")
    assert len(routes) == 2
    assert quality.custom_resource_errors(routes) == []
    broken = copy.deepcopy(routes)
    broken[0]["spec"]["rules"][1]["matches"][0]["path"]["type"] = "Glob"
    del broken[1]["spec"]["parentRefs"][0]["name"]
    errors = quality.custom_resource_errors(broken)
    assert len(errors) == 2, errors
    assert "path/type must be equal to one of the allowed values" in errors[0]
    assert "parentRefs/0 must have required property 'name'" in errors[1] or (
        "parentRefs/0 must have required property name" in errors[1]
    )


@pytest.mark.parametrize("component", COMPONENTS)
def test_the_network_policy_lets_the_gateway_in(
    gateway: list[dict[str, Any]], component: str
) -> None:
    policy = find_object(gateway, "NetworkPolicy", f"meatyapis-{component}")["spec"]
    peers = policy["ingress"][0]["from"]
    assert {
        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "gateway-system"}}
    } in peers


def test_no_route_by_default() -> None:
    objs = objects()
    assert find_objects(objs, "HTTPRoute") == []
    policy = find_object(objs, "NetworkPolicy", "meatyapis-flask")["spec"]
    assert all("namespaceSelector" not in p for p in policy["ingress"][0]["from"])


def test_without_host_names_or_timeouts_the_route_leaves_them_out() -> None:
    (route,) = find_objects(objects(route_values()), "HTTPRoute")
    assert "hostnames" not in route["spec"]
    assert "timeouts" not in route["spec"]["rules"][1]


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (route_values(parentRefs=[]), "flask.httpRoute.parentRefs needs at least one Gateway"),
        (
            route_values(parentRefs=[{"namespace": "x"}]),
            "flask.httpRoute.parentRefs[0] needs a name",
        ),
        (
            route_values(paths=[{"type": "RegularExpression", "value": "/.*"}]),
            'flask.httpRoute.paths[0].type must be "PathPrefix" or "Exact"',
        ),
        (
            route_values(paths=[{"type": "PathPrefix", "value": "api"}]),
            'flask.httpRoute.paths[0].value must start with "/"',
        ),
        (
            route_values(paths=[{"type": "Exact", "value": "/metrics"}]),
            "flask.httpRoute.paths[0].value=/metrics would route /metrics",
        ),
        (
            route_values(timeouts={"request": "30 seconds", "backendRequest": ""}),
            'flask.httpRoute.timeouts.request="30 seconds" is not a Gateway API duration',
        ),
        (
            {
                "flask": {
                    "ingress": {"enabled": True},
                    "httpRoute": route_values()["flask"]["httpRoute"],
                }
            },
            "flask.httpRoute.enabled with flask.ingress.enabled or flask.route.enabled",
        ),
    ],
)
def test_bad_route_values_fail_naming_them(values: dict[str, Any], message: str) -> None:
    assert message in render_error(CHART, values, namespace=NAMESPACE)
