"""HEAD is answered like GET, without the body, on every GET route (RFC 9110 §9.3.2)."""

from __future__ import annotations

import pytest
from fastapi import routing
from fastapi.testclient import TestClient
from meatyapis_fastapi.app import create_app
from starlette.routing import Mount

from apps.fastapi.tests.helpers import bearer, login, make_settings, register
from apps.fastapi.tests.test_probes_docs_metrics import count

# Headers that differ between any two answers.
PER_ANSWER = {"date", "x-request-id"}
# A value for each kind of path parameter a route may declare.
SAMPLE_PARAMETERS = {
    "int": "1",
    "string": "swagger-ui.css",
    "path": "x",
    "float": "1.5",
    "uuid": "0" * 32,
}


def get_routes() -> list[tuple[str, str]]:
    """(template, path to request) of every route of the app that answers GET."""
    app = create_app(make_settings("sqlite:///unused.db"))
    found = []
    for context in routing.iter_route_contexts(app.routes):
        route = context.original_route
        if isinstance(route, Mount) or "GET" not in (context.methods or ()):
            continue
        path = context.path
        for name, convertor in context.param_convertors.items():
            kind = type(convertor).__name__.removesuffix("Convertor").lower()
            path = path.replace(f"{{{name}}}", SAMPLE_PARAMETERS[kind]).replace(
                f"{{{name}:{kind}}}", SAMPLE_PARAMETERS[kind]
            )
        found.append((context.path, path))
    return found


GET_ROUTES = get_routes()


def test_the_routes_found_include_the_known_ones() -> None:
    templates = {template for template, _ in GET_ROUTES}
    expected = {"/", "/hello", "/healthz", "/readyz", "/docs", "/openapi.json"}
    assert expected | {"/users/me", "/info", "/verify"} <= templates


@pytest.mark.parametrize(("template", "path"), GET_ROUTES, ids=[t for t, _ in GET_ROUTES])
def test_head_answers_like_get(client: TestClient, template: str, path: str) -> None:
    register(client, "ada")
    headers = bearer(login(client))  # for the protected routes; the others ignore it
    got = client.get(path, headers=headers)
    head = client.head(path, headers=headers)
    assert head.status_code == got.status_code, (template, got.text)
    assert head.content == b""
    assert head.headers["x-request-id"]
    assert head.headers["content-length"] == str(len(got.content))
    head_headers, got_headers = dict(head.headers), dict(got.headers)
    for name in PER_ANSWER:
        head_headers.pop(name, None)
        got_headers.pop(name, None)
    assert head_headers == got_headers


def test_head_of_an_error_keeps_its_status_and_headers(client: TestClient) -> None:
    denied = client.head("/users/me")
    assert denied.status_code == 401
    assert denied.headers["www-authenticate"] == "Bearer"
    assert denied.headers["content-type"] == "application/problem+json"
    assert denied.content == b""
    assert client.head("/no-such-page").status_code == 404
    post_only = client.head("/login")
    assert post_only.status_code == 405
    assert post_only.headers["allow"] == "POST"


def test_head_is_recorded_as_head_on_the_route(client: TestClient) -> None:
    """As in the catalog: method="HEAD", handler the GET route's template."""
    before = count(client, "/hello", "HEAD", "200")
    client.head("/hello")
    client.head("/hello")
    assert count(client, "/hello", "HEAD", "200") == before + 2
    unknown = count(client, "none", "HEAD", "404")
    client.head("/random/1")
    assert count(client, "none", "HEAD", "404") == unknown + 1
    probes = count(client, "/healthz", "HEAD", "200")
    client.head("/healthz")  # probes are not recorded, whatever the method
    assert count(client, "/healthz", "HEAD", "200") == probes == 0
