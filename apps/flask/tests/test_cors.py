"""CORS: off unless CORS_ALLOWED_ORIGINS lists the origin."""

from __future__ import annotations

from flask.testing import FlaskClient
from meatyapis_flask.app import create_app

from .conftest import make_settings

ORIGIN = "https://shop.example"


def cors_client(sqlite_url: str, origins: tuple[str, ...]) -> FlaskClient:
    return create_app(make_settings(sqlite_url, cors_allowed_origins=origins)).test_client()


def test_no_cors_headers_by_default(client: FlaskClient) -> None:
    response = client.get("/hello", headers={"Origin": ORIGIN})
    assert "Access-Control-Allow-Origin" not in response.headers
    preflight = client.options(
        "/products", headers={"Origin": ORIGIN, "Access-Control-Request-Method": "POST"}
    )
    assert "Access-Control-Allow-Origin" not in preflight.headers


def test_allowed_origin_gets_cors_headers(sqlite_url: str) -> None:
    client = cors_client(sqlite_url, (ORIGIN,))
    response = client.get("/hello", headers={"Origin": ORIGIN})
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert "ETag" in response.headers["Access-Control-Expose-Headers"]
    assert "Origin" in response.headers["Vary"]


def test_other_origin_gets_none(sqlite_url: str) -> None:
    client = cors_client(sqlite_url, (ORIGIN,))
    response = client.get("/hello", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in response.headers
    assert "Origin" in response.headers["Vary"]
    assert "Access-Control-Allow-Origin" not in client.get("/hello").headers


def test_preflight_of_an_allowed_origin(sqlite_url: str) -> None:
    client = cors_client(sqlite_url, (ORIGIN,))
    response = client.options(
        "/products/1",
        headers={
            "Origin": ORIGIN,
            "Access-Control-Request-Method": "PATCH",
            "Access-Control-Request-Headers": "If-Match, Content-Type",
        },
    )
    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert "PATCH" in response.headers["Access-Control-Allow-Methods"]
    assert "If-Match" in response.headers["Access-Control-Allow-Headers"]
    assert response.headers["Access-Control-Max-Age"] == "600"


def test_preflight_of_an_unknown_path_is_still_404(sqlite_url: str) -> None:
    client = cors_client(sqlite_url, (ORIGIN,))
    response = client.options(
        "/nowhere", headers={"Origin": ORIGIN, "Access-Control-Request-Method": "GET"}
    )
    assert response.status_code == 404


def test_wildcard_allows_any_origin(sqlite_url: str) -> None:
    client = cors_client(sqlite_url, ("*",))
    response = client.get("/hello", headers={"Origin": "https://anyone.example"})
    assert response.headers["Access-Control-Allow-Origin"] == "*"
