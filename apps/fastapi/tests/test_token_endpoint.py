"""POST /login as an OAuth2 token endpoint (RFC 6749 §4.3, §5): answers, hostile input, OpenAPI."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from fastapi.testclient import TestClient

from apps.fastapi.tests.helpers import PASSWORD, assert_problem, assert_token_error, register

GRANT = {"grant_type": "password", "username": "ada", "password": PASSWORD}
FORM = "application/x-www-form-urlencoded"


def form(**fields: str) -> dict[str, Any]:
    return {"data": {name: value for name, value in {**GRANT, **fields}.items() if value != "-"}}


def raw(body: bytes, content_type: str | None = FORM) -> dict[str, Any]:
    return {"content": body, "headers": {"content-type": content_type} if content_type else {}}


@pytest.mark.parametrize(
    "request_kwargs",
    [
        pytest.param(form(), id="form"),
        pytest.param({"json": {"username": "ada", "password": PASSWORD}}, id="json"),
        # What Swagger UI sends: an empty scope, a client id, Basic credentials of the client.
        pytest.param(
            {
                **form(scope="", client_id="docs"),
                "headers": {"Authorization": "Basic " + base64.b64encode(b"docs:").decode()},
            },
            id="form with client id",
        ),
        pytest.param(raw(b"grant_type=password&username=ada&password=correct+horse"), id="raw"),
        pytest.param(
            raw(b"username=ada&password=correct%20horse&grant_type=password&unknown=1"),
            id="unknown parameter ignored",
        ),
    ],
)
def test_token_response(db_client: TestClient, request_kwargs: dict[str, Any]) -> None:
    register(db_client, "ada")
    response = db_client.post("/login", **request_kwargs)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["pragma"] == "no-cache"
    token = response.json()
    assert set(token) == {"access_token", "token_type", "expires_in", "scope"}
    assert token["scope"] == ""  # a reader's tokens carry no scope
    assert token["token_type"] == "bearer"
    assert token["expires_in"] == 3600
    info = db_client.get("/info", headers={"Authorization": f"Bearer {token['access_token']}"})
    assert info.status_code == 200


def as_json(**fields: Any) -> dict[str, Any]:
    return {"json": fields}


JSON = "application/json"
INVALID, UNSUPPORTED = "invalid_request", "unsupported_grant_type"
DEEP = b"[" * 30_000 + b"]" * 30_000
LONG = "x" * 20_000

BAD_REQUESTS = [
    # (id, request, error, fields named)
    ("form without password", form(password="-"), INVALID, ["password"]),
    ("form without username", form(username="-"), INVALID, ["username"]),
    ("form without grant_type", form(grant_type="-"), INVALID, ["grant_type"]),
    ("form with empty grant_type", form(grant_type=""), INVALID, ["grant_type"]),
    ("form with empty username", form(username=""), INVALID, ["username"]),
    ("form with empty password", form(password=""), INVALID, ["password"]),
    ("empty form", raw(b""), INVALID, ["grant_type"]),
    ("client credentials grant", form(grant_type="client_credentials"), UNSUPPORTED, []),
    (
        "authorization code grant",
        {"data": {"grant_type": "authorization_code", "code": "x"}},
        UNSUPPORTED,
        [],
    ),
    ("non-ASCII grant type", form(grant_type="pässword"), UNSUPPORTED, []),
    ("an unknown scope", form(scope="admin"), "invalid_scope", []),
    ("a known and an unknown scope", form(scope="catalog:write root"), "invalid_scope", []),
    (
        "repeated username",
        raw(b"grant_type=password&username=ada&username=bob&password=x"),
        INVALID,
        ["username"],
    ),
    ("very long username", form(username=LONG), INVALID, ["username"]),
    ("very long password", form(password=LONG), INVALID, ["password"]),
    ("JSON without password", as_json(username="ada"), INVALID, ["password"]),
    ("JSON without either", as_json(), INVALID, ["username", "password"]),
    (
        "JSON with an unknown field",
        as_json(username="ada", password="x", extra=1),
        INVALID,
        ["extra"],
    ),
    ("JSON empty username", as_json(username="", password="x"), INVALID, ["username"]),
    ("JSON number as username", as_json(username=7, password="x"), INVALID, ["username"]),
    ("JSON very long username", as_json(username=LONG, password="x"), INVALID, ["username"]),
    ("JSON very long password", as_json(username="ada", password=LONG), INVALID, ["password"]),
    ("JSON list", {"json": [GRANT]}, INVALID, ["body"]),
    ("JSON string", {"json": "ada"}, INVALID, ["body"]),
    ("JSON null", raw(b"null", JSON), INVALID, ["body"]),
    ("malformed JSON", raw(b'{"username": ', JSON), INVALID, ["body"]),
    ("empty JSON body", raw(b"", JSON), INVALID, ["body"]),
    ("invalid UTF-8 JSON", raw(b'{"username": "\xff\xfe"}', JSON), INVALID, ["body"]),
    ("deeply nested JSON", raw(DEEP, JSON), INVALID, ["body"]),
    ("text/plain body", raw(b"username=ada", "text/plain"), INVALID, []),
    ("no content type", raw(b"username=ada", None), INVALID, []),
    (
        "multipart form",
        {"files": {"username": (None, "ada")}, "data": {"grant_type": "password"}},
        INVALID,
        [],
    ),
]


@pytest.mark.parametrize(
    ("request_kwargs", "error", "fields"),
    [pytest.param(*case[1:], id=case[0]) for case in BAD_REQUESTS],
)
def test_bad_token_requests_are_400_with_an_oauth2_error(
    client: TestClient, request_kwargs: dict[str, Any], error: str, fields: list[str]
) -> None:
    response = client.post("/login", **request_kwargs)
    assert_token_error(response, 400, error, *fields)


ODD_VALUES = {
    "non-ASCII": "ädä_ловелас_用户_🥩",
    "quote and backslash": 'ada"\\',
    "control characters": "ada\r\n\t\x7f",
    "the longest allowed": "y" * 128,
}
ODD_CREDENTIALS = [
    *(pytest.param(field, value, id=f"{field} {name}") for field in ("username", "password")
      for name, value in ODD_VALUES.items()),
    pytest.param("password", "correct\x00horse", id="password with NUL"),  # only hashed
]  # fmt: skip


def log_in(client: TestClient, style: str, credentials: dict[str, str]) -> Any:
    if style == "form":
        return client.post("/login", data={**credentials, "grant_type": "password"})
    return client.post("/login", json=credentials)


@pytest.mark.parametrize("style", ["form", "json"])
@pytest.mark.parametrize(("field", "value"), ODD_CREDENTIALS)
def test_odd_credentials_are_an_invalid_grant(
    db_client: TestClient, style: str, field: str, value: str
) -> None:
    """Odd names and passwords reach the database (SQLite and PostgreSQL) as data, never a 500."""
    register(db_client, "ada")
    response = log_in(db_client, style, {"username": "ada", "password": PASSWORD, field: value})
    assert_token_error(response, 400, "invalid_grant", detail="invalid username or password")


@pytest.mark.parametrize("style", ["form", "json"])
def test_a_username_with_nul_is_an_invalid_request(db_client: TestClient, style: str) -> None:
    """No username holds NUL, and PostgreSQL text cannot: refused before the database."""
    response = log_in(db_client, style, {"username": "ada\x00", "password": PASSWORD})
    assert_token_error(response, 400, "invalid_request", "username")


def test_invalid_utf8_in_the_form_is_a_4xx(db_client: TestClient) -> None:
    response = db_client.post("/login", **raw(b"grant_type=password&username=%FF%FE&password=x"))
    assert_token_error(response, 400, "invalid_grant")


def test_error_description_keeps_to_its_characters(client: TestClient) -> None:
    """A field name from the body may hold anything; error_description stays within RFC 6749."""
    response = client.post("/login", json={"username": "ada", "password": "x", 'na"mé\\': 1})
    problem = assert_token_error(response, 400, "invalid_request", 'na"mé\\')
    assert 'na"mé\\' in problem["detail"]
    assert problem["error_description"] == "invalid request: na?m??"


def test_a_body_over_the_limit_is_413(client: TestClient) -> None:
    response = client.post("/login", data={**GRANT, "password": "x" * 70_000})
    assert_problem(response, 413, detail="65536 bytes")


def test_openapi_describes_the_token_endpoint(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    login = document["paths"]["/login"]["post"]
    token_form = login["requestBody"]["content"][FORM]["schema"]
    assert token_form["required"] == ["grant_type", "username", "password"]
    assert token_form["properties"]["grant_type"]["enum"] == ["password"]
    responses = login["responses"]
    assert set(responses) == {"200", "400", "413", "429", "503"}
    for status in ("200", "400", "429", "503"):
        headers = responses[status]["headers"]
        assert headers["Cache-Control"]["schema"]["const"] == "no-store"
        assert headers["Pragma"]["schema"]["const"] == "no-cache"
    assert "Retry-After" in responses["429"]["headers"]
    assert "Retry-After" in responses["503"]["headers"]
    error_schema = responses["400"]["content"]["application/problem+json"]["schema"]
    problem, oauth2 = error_schema["allOf"]
    assert problem == {"$ref": "#/components/schemas/Problem"}
    assert oauth2["required"] == ["error", "error_description"]
    assert set(oauth2["properties"]["error"]["enum"]) == {
        "invalid_request",
        "invalid_grant",
        "unsupported_grant_type",
        "invalid_scope",
    }
    token = document["components"]["schemas"]["TokenResponse"]
    assert set(token["required"]) == {"access_token", "expires_in", "scope"}
    flows = document["components"]["securitySchemes"]["OAuth2PasswordBearer"]["flows"]
    assert flows["password"]["tokenUrl"] == "login"
