"""Tokens that can be taken back, and never name another user: logout, revoke all (endpoint
and command), deleted and renamed users, ids never reused; on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from meatyapis_fastapi import cli
from meatyapis_fastapi.models import User
from sqlalchemy import select, update

from apps.fastapi.tests.helpers import assert_problem, bearer, login, register

PROTECTED = ["/verify", "/info", "/users/me"]


def assert_refused(client: TestClient, token: str, detail: str) -> None:
    for path in PROTECTED:
        response = client.get(path, headers=bearer(token))
        assert_problem(response, 401, detail=detail)
        assert response.headers["www-authenticate"] == 'Bearer error="invalid_token"'


def assert_accepted(client: TestClient, token: str) -> None:
    for path in PROTECTED:
        assert client.get(path, headers=bearer(token)).status_code == 200, path


def test_logout_revokes_this_token_only(db_client: TestClient) -> None:
    register(db_client, "ada")
    phone, laptop = login(db_client), login(db_client)
    response = db_client.post("/logout", headers=bearer(phone))
    assert response.status_code == 204
    assert_refused(db_client, phone, "revoked")
    assert_accepted(db_client, laptop)
    assert_problem(db_client.post("/logout", headers=bearer(phone)), 401, detail="revoked")
    assert_problem(db_client.post("/logout"), 401, detail="bearer token is required")


def test_revoking_every_token_of_the_caller(db_client: TestClient) -> None:
    register(db_client, "ada")
    phone, laptop = login(db_client), login(db_client)
    assert db_client.delete("/users/me/tokens", headers=bearer(laptop)).status_code == 204
    assert_refused(db_client, phone, "revoked")
    assert_refused(db_client, laptop, "revoked")
    assert_accepted(db_client, login(db_client))  # a new login gets a token that stands


def test_the_revoke_tokens_command(
    db_client: TestClient,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    register(db_client, "ada")
    register(db_client, "bob")
    ada, bob = login(db_client, "ada"), login(db_client, "bob")
    monkeypatch.setenv("DATABASE_URL", database_url)
    assert cli.main(["revoke-tokens", "ADA"]) == 0  # usernames compare as at login
    assert "revoked every token of 'ADA'" in capsys.readouterr().out
    assert_refused(db_client, ada, "revoked")
    assert_accepted(db_client, bob)
    assert cli.main(["revoke-tokens", "nobody"]) == 1
    assert "no user named 'nobody'" in capsys.readouterr().err


def test_a_deleted_users_token_never_names_the_next_user(db_client: TestClient) -> None:
    """Delete the newest user, register another: the old token is refused (on SQLite the id
    used to be handed out again, and the old token read the new user's account)."""
    register(db_client, "ada")
    mallory = register(db_client, "mallory")
    token = login(db_client, "mallory")
    with db_client.app.state.db.session() as session:  # type: ignore[attr-defined]
        session.delete(session.get(User, mallory["id"]))
        session.commit()
    newcomer = register(db_client, "carol")
    assert newcomer["id"] > mallory["id"]
    assert_refused(db_client, token, "no longer exists")


def test_a_renamed_users_tokens_are_refused(db_client: TestClient) -> None:
    register(db_client, "ada")
    token = login(db_client)
    with db_client.app.state.db.session() as session:  # type: ignore[attr-defined]
        session.execute(update(User).values(username="ada2", username_key="ada2"))
        session.commit()
    assert_refused(db_client, token, "no longer exists")


def test_user_ids_are_never_reused(db_client: TestClient) -> None:
    ids = [register(db_client, name)["id"] for name in ("ada", "bob", "carol")]
    with db_client.app.state.db.session() as session:  # type: ignore[attr-defined]
        for user in session.scalars(select(User).where(User.id.in_(ids[1:]))):
            session.delete(user)
        session.commit()
    assert register(db_client, "dave")["id"] == ids[-1] + 1
