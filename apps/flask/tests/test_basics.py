"""The welcome page, /hello, /add, check-in and last-seen."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from flask.testing import FlaskClient

PROBLEM = "application/problem+json"


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


@pytest.mark.parametrize("user", ["a" * 101, ".hidden", "white%20space", "%C3%A9t%C3%A9"])
def test_bad_user_names_are_422(client: FlaskClient, user: str) -> None:
    for response in (client.post(f"/checkin/{user}"), client.get(f"/last-seen/{user}")):
        assert response.status_code == 422
        assert response.get_json()["errors"][0]["field"] == "user"
