"""The client address behind a proxy, end to end: values that are not addresses count under
the proxy's, spoofed hops are not believed, and a login attempt that cannot be recorded is
refused (503), never checked unrecorded."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from meatyapis_fastapi.app import create_app
from meatyapis_fastapi.models import LoginFailure
from sqlalchemy import select, text

from apps.fastapi.tests.helpers import (
    PASSWORD,
    assert_token_error,
    make_settings,
    register,
)

PROXY = "10.1.2.3"


@pytest.fixture
def behind_proxy(database_url: str) -> Iterator[TestClient]:
    """The service behind a trusted proxy at PROXY, on SQLite and on PostgreSQL."""
    settings = make_settings(database_url, forwarded_allow_ips="10.0.0.0/8")
    with TestClient(
        create_app(settings), raise_server_exceptions=False, client=(PROXY, 40000)
    ) as c:
        yield c


def recorded_clients(client: TestClient) -> list[str]:
    with client.app.state.db.session() as session:  # type: ignore[attr-defined]
        return list(session.scalars(select(LoginFailure.client_ip)))


def test_an_overlong_forwarded_value_cannot_bypass_the_limit(behind_proxy: TestClient) -> None:
    """Values that are not addresses count under the proxy's address: recorded, limited, and
    the right password is refused like any other attempt once the limit is reached."""
    register(behind_proxy, "ada")
    wrong = {"username": "ada", "password": "wrong!"}
    statuses = [
        behind_proxy.post("/login", json=wrong, headers={"X-Forwarded-For": f"{i}" * 70})
        for i in range(10)
    ]
    assert [response.status_code for response in statuses] == [400] * 5 + [429] * 5
    assert recorded_clients(behind_proxy) == [PROXY] * 5
    right = behind_proxy.post(
        "/login",
        json={"username": "ada", "password": PASSWORD},
        headers={"X-Forwarded-For": "9" * 70},
    )
    assert_token_error(right, 429, "temporarily_unavailable")


def test_spoofed_hops_do_not_become_the_client(behind_proxy: TestClient) -> None:
    spoofed = {"X-Forwarded-For": "6.6.6.6, 198.51.100.4"}
    behind_proxy.post("/login", json={"username": "ada", "password": "x"}, headers=spoofed)
    assert recorded_clients(behind_proxy) == ["198.51.100.4"]


def test_an_attempt_that_cannot_be_recorded_is_refused(
    behind_proxy: TestClient, database_url: str
) -> None:
    """The database refuses to store attempts: a wrong and a right password both get 503 with
    Retry-After (never 500, and never a token for an attempt that was not counted)."""
    register(behind_proxy, "ada")
    refuse_attempts(behind_proxy)
    for password in ("wrong!", PASSWORD):
        response = behind_proxy.post("/login", json={"username": "ada", "password": password})
        assert_token_error(response, 503, "temporarily_unavailable", detail="could not be recorded")
        assert response.headers["retry-after"] == "1"
    assert recorded_clients(behind_proxy) == []


def refuse_attempts(client: TestClient) -> None:
    """A trigger that makes every insert into login_failures fail."""
    database = client.app.state.db  # type: ignore[attr-defined]
    with database.engine.begin() as connection:
        if database.dialect == "sqlite":
            connection.execute(
                text(
                    "CREATE TRIGGER refuse BEFORE INSERT ON login_failures "
                    "BEGIN SELECT RAISE(ABORT, 'full'); END"
                )
            )
        else:
            connection.execute(
                text(
                    "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS "
                    "$$ BEGIN RAISE EXCEPTION 'full'; END $$"
                )
            )
            connection.execute(
                text(
                    "CREATE TRIGGER refuse BEFORE INSERT ON login_failures "
                    "FOR EACH ROW EXECUTE FUNCTION refuse()"
                )
            )
