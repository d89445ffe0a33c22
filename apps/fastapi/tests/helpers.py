"""Helpers of the identity service tests (imported as apps.fastapi.tests.helpers)."""

from __future__ import annotations

import re
import time
from typing import Any

from fastapi.testclient import TestClient
from meatyapis_chassis.metrics import scrape
from meatyapis_chassis.migrations import upgrade
from meatyapis_fastapi.app import create_app
from meatyapis_fastapi.settings import Settings

PASSWORD = "correct horse"
SECRET = "test-secret-0123456789-abcdefghijklmnop"
# Real argon2id, with the cheapest parameters the settings allow, so tests stay fast.
FAST_HASHING = {"password_hash_time_cost": 1, "password_hash_memory_kib": 1024}


class FakeClock:
    """A wall clock the test moves (override `get_clock` with it)."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


def migrate(database_url: str) -> None:
    upgrade(database_url, "meatyapis_fastapi")


def make_settings(database_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "token_secret": SECRET,
        "metrics_enabled": True,
        **FAST_HASHING,
        **overrides,
    }
    return Settings(**values)


def metrics_text(client: TestClient) -> str:
    """What the metrics listener would answer for this app's registry (one process)."""
    return scrape(client.app.state.registry)[0].decode()  # type: ignore[attr-defined]


def open_client(settings: Settings) -> TestClient:
    return TestClient(create_app(settings), raise_server_exceptions=False)


def register(
    client: TestClient, username: str = "ada", password: str = PASSWORD, **extra: str
) -> dict[str, Any]:
    body = {"username": username, "email": f"{username}@example.com", "password": password}
    response = client.post("/register", json={**body, **extra})
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def login(client: TestClient, username: str = "ada", password: str = PASSWORD) -> str:
    response = client.post("/login", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def assert_problem(
    response: Any, status: int, *fields: str, detail: str | None = None
) -> dict[str, Any]:
    """The response is an RFC 9457 problem with `status`, naming each of `fields`."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem: dict[str, Any] = response.json()
    assert problem["status"] == status
    assert str(problem["type"]).startswith(("about:blank", "urn:meatyapis:problem:"))
    assert problem["title"]
    assert problem["request_id"] == response.headers["x-request-id"]
    assert "Traceback" not in response.text
    if detail is not None:
        assert detail in problem["detail"]
    if fields:
        named = {error["field"] for error in problem["errors"]}
        assert set(fields) <= named, f"{fields} not all in {named}"
        assert all(error["message"] for error in problem["errors"])
    return problem


# error_description: printable ASCII without '"' and '\' (RFC 6749 §5.2).
DESCRIPTION_CHARACTERS = re.compile(r"[\x20-\x21\x23-\x5b\x5d-\x7e]+")


def assert_token_error(
    response: Any, status: int, error: str, *fields: str, detail: str | None = None
) -> dict[str, Any]:
    """A token endpoint error (RFC 6749 §5.2) that is also a problem, and is not to be cached."""
    problem = assert_problem(response, status, *fields, detail=detail)
    assert problem["error"] == error
    assert DESCRIPTION_CHARACTERS.fullmatch(problem["error_description"])
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["pragma"] == "no-cache"
    return problem
