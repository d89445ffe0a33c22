"""The welcome page, /hello, /add, check-in and last-seen."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from flask.testing import FlaskClient
from meatyapis_chassis.security_headers import CONTENT_SECURITY_POLICY

from .conftest import make_app, make_settings

PROBLEM = "application/problem+json"
JSON = "application/json"


def test_index_renders_the_layout_and_the_content(client: FlaskClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert "<h1>Welcome to the MeatyAPIs Flask service!</h1>" in html
    assert '<nav aria-label="Main">' in html
    for link in ("/docs", "/openapi.json", "/products"):
        assert f'<a href="{link}">' in html
    assert "<main>" in html
    assert "<footer>" in html
    assert 'meatyapis-flask <span class="version">0.1.0</span>' in html
    assert '<link rel="stylesheet" href="/static/style.css">' in html


@pytest.mark.parametrize(
    ("path", "mimetype"),
    [
        ("/static/style.css", "text/css"),
        ("/static/favicon.svg", "image/svg+xml"),
        ("/favicon.ico", "image/vnd.microsoft.icon"),
        ("/docs/assets/swagger-init.js", "text/javascript"),
        ("/docs/assets/swagger-ui-bundle.js", "text/javascript"),
        ("/docs/assets/swagger-ui.css", "text/css"),
    ],
)
def test_page_assets_are_served_here(client: FlaskClient, path: str, mimetype: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert response.mimetype == mimetype
    assert "max-age" in response.headers["Cache-Control"]


def test_docs_page_loads_swagger_ui_over_the_openapi_document(client: FlaskClient) -> None:
    response = client.get("/docs")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'data-openapi-url="/openapi.json"' in html
    assert '<script src="/docs/assets/swagger-ui-bundle.js"></script>' in html
    assert "<script>" not in html  # no inline script: the page works under a strict CSP
    assert "http://" not in html
    assert "https://" not in html


def test_hello_echoes_the_user_agent(client: FlaskClient) -> None:
    response = client.get("/hello", headers={"User-Agent": "steak-client/1.0"})
    assert response.status_code == 200
    assert response.get_json() == {"message": "Hello, World!", "user_agent": "steak-client/1.0"}


def test_hello_without_user_agent(client: FlaskClient) -> None:
    response = client.get("/hello", headers={"User-Agent": ""})
    assert response.get_json()["user_agent"] == ""


@pytest.mark.parametrize(
    ("a", "b", "result"),
    [
        (1, 2, 3),
        (-5, 5, 0),
        (0.1, 0.2, 0.3),
        (1.5, 2, 3.5),
        (10**15, 10**15, 2 * 10**15),
        (-(10**15), 0.5, -(10**15) + 0.5),
        (1, 0.0, 1.0),
    ],
)
def test_add(client: FlaskClient, a: Any, b: Any, result: Any) -> None:
    response = client.post("/add", json={"a": a, "b": b})
    assert response.status_code == 200
    assert response.get_json() == {"result": result}
    assert type(response.get_json()["result"]) is type(result)


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ('{"a": true, "b": 1}', "a"),
        ('{"a": 1, "b": false}', "b"),
        ('{"a": "1", "b": 1}', "a"),
        ('{"a": null, "b": 1}', "a"),
        ('{"a": [1], "b": 1}', "a"),
        ('{"a": 1e16, "b": 1}', "a"),
        ('{"a": 1, "b": 1e400}', "b"),
        ('{"a": 1, "b": -1e999999}', "b"),
        ('{"a": 1e999999999, "b": 1}', "a"),  # beyond the decimal context: no Overflow
        ('{"a": 1, "b": -1E+999999999}', "b"),
        ('{"a": 1, "b": ' + "9" * 5000 + "}", "b"),
        ('{"a": 10000000000000001, "b": 1}', "a"),
        ('{"a": 1}', "b"),
        ('{"a": 1, "b": 2, "c": 3}', "c"),
    ],
)
def test_add_rejects_bad_operands_naming_the_field(
    client: FlaskClient, raw: str, field: str
) -> None:
    response = client.post("/add", data=raw, content_type="application/json")
    assert response.status_code == 422
    assert response.mimetype == PROBLEM
    problem = response.get_json()
    assert [e["field"] for e in problem["errors"]] == [field]
    assert field in problem["detail"]


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_add_rejects_non_standard_json_constants(client: FlaskClient, constant: str) -> None:
    response = client.post(
        "/add", data=f'{{"a": {constant}, "b": 1}}', content_type="application/json"
    )
    assert response.status_code == 422
    assert response.get_json()["errors"] == [
        {"field": "a", "message": f"must be a number ({constant} is not JSON)"}
    ]


def test_checkin_then_last_seen(db_client: FlaskClient) -> None:
    today = datetime.now(UTC).date().isoformat()
    assert db_client.get("/last-seen/alice").status_code == 404
    response = db_client.post("/checkin/alice")
    assert response.status_code == 200
    assert response.get_json() == {"success": True, "user": "alice", "date": today}
    assert db_client.post("/checkin/alice").status_code == 200  # again: an upsert
    seen = db_client.get("/last-seen/alice")
    assert seen.status_code == 200
    assert seen.get_json() == {"user": "alice", "date": today}


def test_last_seen_of_a_stranger_is_a_404_problem(client: FlaskClient) -> None:
    response = client.get("/last-seen/nobody")
    assert response.status_code == 404
    assert response.mimetype == PROBLEM
    assert "nobody" in response.get_json()["detail"]


@pytest.mark.parametrize(
    "user",
    ["a" * 101, ".hidden", "white%20space", "%C3%A9t%C3%A9", "bob%0A", "bob%0D%0A", "%0Abob"],
)
def test_bad_user_names_are_422(client: FlaskClient, user: str) -> None:
    for response in (client.post(f"/checkin/{user}"), client.get(f"/last-seen/{user}")):
        assert response.status_code == 422
        assert response.get_json()["errors"][0]["field"] == "user"


def test_a_tiny_operand_is_a_number_not_an_error(client: FlaskClient) -> None:
    response = client.post("/add", data='{"a": 1e-999999999, "b": 1}', content_type=JSON)
    assert response.status_code == 200
    assert response.get_json() == {"result": 1.0}


def test_checkins_are_bounded_per_client(sqlite_url: str) -> None:
    app = make_app(make_settings(sqlite_url, checkin_names_per_client=3))
    client = app.test_client()
    mine = {"REMOTE_ADDR": "192.0.2.7"}
    for user in ("ann", "ben", "cid"):
        assert client.post(f"/checkin/{user}", environ_base=mine).status_code == 200
    refused = client.post("/checkin/dee", environ_base=mine)
    assert refused.status_code == 429
    assert refused.mimetype == PROBLEM
    assert refused.get_json()["type"] == "urn:meatyapis:problem:too-many-names"
    assert client.get("/last-seen/dee").status_code == 404  # nothing was stored
    # Names already there keep checking in, from this client and from any other.
    assert client.post("/checkin/ann", environ_base=mine).status_code == 200
    assert (
        client.post("/checkin/ben", environ_base={"REMOTE_ADDR": "198.51.100.1"}).status_code == 200
    )
    # Another client has its own allowance.
    assert (
        client.post("/checkin/dee", environ_base={"REMOTE_ADDR": "198.51.100.1"}).status_code == 200
    )
    app.database.dispose()


def test_an_ipv6_client_is_counted_by_its_64(sqlite_url: str) -> None:
    app = make_app(make_settings(sqlite_url, checkin_names_per_client=2))
    client = app.test_client()
    for index, user in enumerate(("ann", "ben")):
        address = {"REMOTE_ADDR": f"2001:db8:1:2::{index + 1}"}
        assert client.post(f"/checkin/{user}", environ_base=address).status_code == 200
    other_host = {"REMOTE_ADDR": "2001:db8:1:2:ffff::9"}  # the same /64
    assert client.post("/checkin/cid", environ_base=other_host).status_code == 429
    other_net = {"REMOTE_ADDR": "2001:db8:1:3::1"}
    assert client.post("/checkin/cid", environ_base=other_net).status_code == 200
    app.database.dispose()


def test_behind_a_trusted_proxy_the_forwarded_client_is_counted(sqlite_url: str) -> None:
    app = make_app(make_settings(sqlite_url, checkin_names_per_client=1))
    client = app.test_client()

    def via_proxy(user: str, forwarded: str, proxy: str = "10.0.0.5") -> int:
        environ = {"REMOTE_ADDR": proxy, "HTTP_X_FORWARDED_FOR": forwarded}
        return client.post(f"/checkin/{user}", environ_base=environ).status_code

    app.settings = app.settings.model_copy(update={"forwarded_allow_ips": "10.0.0.0/8"})
    assert via_proxy("ann", "203.0.113.1") == 200
    assert via_proxy("ben", "203.0.113.2") == 200  # another client behind the same proxy
    # A client cannot pose as others by writing X-Forwarded-For: the proxy appends the truth.
    assert via_proxy("cid", "198.51.100.77, 203.0.113.1") == 429
    # An untrusted peer's X-Forwarded-For is not believed.
    assert via_proxy("dee", "203.0.113.9", proxy="192.0.2.50") == 200
    assert via_proxy("eve", "203.0.113.10", proxy="192.0.2.50") == 429
    app.database.dispose()


@pytest.mark.parametrize("path", ["/", "/docs"])
def test_html_pages_carry_the_security_headers(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    assert response.mimetype == "text/html"
    assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/hello"), ("GET", "/nope"), ("PROPFIND", "/hello"), ("GET", "/static/style.css")],
)
def test_every_response_carries_nosniff_only_html_the_policy(
    client: FlaskClient, method: str, path: str
) -> None:
    response = client.open(path, method=method)
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "Content-Security-Policy" not in response.headers
