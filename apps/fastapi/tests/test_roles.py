"""Roles and scopes: reader by default, editor and admin may write the catalog; the scopes in
tokens and on /verify; `users grant|revoke|list`; the first administrator from `migrate`."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from meatyapis_chassis.migrations import upgrade
from meatyapis_fastapi import cli
from meatyapis_fastapi.accounts import AccountError, grant, revoke
from meatyapis_fastapi.models import User
from sqlalchemy import create_engine, select, text

from apps.fastapi.tests.helpers import (
    PASSWORD,
    assert_problem,
    assert_token_error,
    bearer,
    login,
    register,
)

ADMIN_PASSWORD = "a long admin passphrase"


def set_role(client: TestClient, username: str, role: str) -> None:
    with client.app.state.db.session() as session:  # type: ignore[attr-defined]
        grant(session, username, role)


def token_response(client: TestClient, username: str = "ada", **form: str) -> Any:
    data = {"grant_type": "password", "username": username, "password": PASSWORD, **form}
    return client.post("/login", data=data)


def test_a_new_user_is_a_reader_whose_tokens_carry_no_scope(db_client: TestClient) -> None:
    assert register(db_client, "ada")["role"] == "reader"
    answer = token_response(db_client)
    assert answer.json()["scope"] == ""
    verified = db_client.get("/verify", headers=bearer(answer.json()["access_token"]))
    assert verified.status_code == 200
    assert verified.json()["scope"] == ""


@pytest.mark.parametrize("role", ["editor", "admin"])
def test_editors_and_admins_get_catalog_write(db_client: TestClient, role: str) -> None:
    register(db_client, "ada")
    set_role(db_client, "ada", role)
    answer = token_response(db_client)
    assert answer.status_code == 200
    assert answer.json()["scope"] == "catalog:write"
    claims = db_client.get("/verify", headers=bearer(answer.json()["access_token"])).json()
    assert claims["scope"] == "catalog:write"
    assert claims["username"] == "ada"


def test_a_client_may_ask_for_fewer_scopes_never_more(db_client: TestClient) -> None:
    register(db_client, "ada")
    register(db_client, "bob")
    set_role(db_client, "ada", "editor")
    assert token_response(db_client, scope="catalog:write").json()["scope"] == "catalog:write"
    assert token_response(db_client, scope="  ").json()["scope"] == "catalog:write"
    refused = token_response(db_client, "bob", scope="catalog:write")
    assert_token_error(refused, 400, "invalid_scope", detail="not granted")


def test_a_revoked_role_no_longer_counts_on_verify(db_client: TestClient) -> None:
    register(db_client, "ada")
    register(db_client, "root")
    set_role(db_client, "root", "admin")
    set_role(db_client, "ada", "editor")
    token = token_response(db_client).json()["access_token"]
    with db_client.app.state.db.session() as session:  # type: ignore[attr-defined]
        assert revoke(session, "ada", "editor") == ("editor", "reader")
    claims = db_client.get("/verify", headers=bearer(token)).json()
    assert claims["scope"] == ""  # the token still says catalog:write; the role does not


def test_the_token_of_a_deleted_user_is_refused(db_client: TestClient) -> None:
    register(db_client, "ada")
    token = login(db_client)
    with db_client.app.state.db.session() as session:  # type: ignore[attr-defined]
        session.delete(session.scalar(select(User).where(User.username == "ada")))
        session.commit()
    refused = db_client.get("/verify", headers=bearer(token))
    assert_problem(refused, 401, detail="no longer exists")
    assert refused.headers["www-authenticate"] == 'Bearer error="invalid_token"'


def test_role_changes_are_checked(db_client: TestClient) -> None:
    register(db_client, "ada")
    with db_client.app.state.db.session() as session:  # type: ignore[attr-defined]
        with pytest.raises(AccountError, match="no user named 'nobody'"):
            grant(session, "nobody", "editor")
        with pytest.raises(AccountError, match="unknown role"):
            grant(session, "ada", "owner")
        with pytest.raises(AccountError, match="does not have the role 'editor'"):
            revoke(session, "ada", "editor")
        with pytest.raises(AccountError, match="default role"):
            revoke(session, "ada", "reader")
        assert grant(session, "ada", "admin") == ("reader", "admin")
        for change in (
            lambda: revoke(session, "ada", "admin"),
            lambda: grant(session, "ada", "editor"),
        ):
            with pytest.raises(AccountError, match="last admin"):
                change()
        register(db_client, "bob")
        assert grant(session, "bob", "admin") == ("reader", "admin")
        assert revoke(session, "ada", "admin") == ("admin", "reader")


def test_the_users_command(
    db_client: TestClient,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)
    register(db_client, "ada")
    assert cli.main(["users", "grant", "ada", "editor"]) == 0
    assert "ada: reader -> editor (catalog:write" in capsys.readouterr().out
    assert token_response(db_client).json()["scope"] == "catalog:write"
    assert cli.main(["users", "list"]) == 0
    assert capsys.readouterr().out == "ada\teditor\tcatalog:write\n"
    assert cli.main(["users", "revoke", "ada", "admin"]) == 1
    assert "does not have the role 'admin'" in capsys.readouterr().err
    assert cli.main(["users", "grant", "nobody", "editor"]) == 1
    assert "no user named 'nobody'" in capsys.readouterr().err
    assert cli.main(["users", "revoke", "ada", "editor"]) == 0
    assert "ada: editor -> reader (no scopes" in capsys.readouterr().out
    with pytest.raises(SystemExit):  # argparse: the role must be one of the roles
        cli.main(["users", "grant", "ada", "owner"])


def test_migrate_bootstraps_the_first_admin_once(
    db_client: TestClient, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in {
        "DATABASE_URL": database_url,
        "BOOTSTRAP_ADMIN_USERNAME": "root",
        "BOOTSTRAP_ADMIN_PASSWORD": ADMIN_PASSWORD,
        "PASSWORD_HASH_TIME_COST": "1",
        "PASSWORD_HASH_MEMORY_KIB": "1024",
    }.items():
        monkeypatch.setenv(name, value)
    assert cli.main(["migrate"]) == 0
    grant_form = {"grant_type": "password", "username": "root", "password": ADMIN_PASSWORD}
    answer = db_client.post("/login", data=grant_form)
    assert answer.status_code == 200, answer.text
    assert answer.json()["scope"] == "catalog:write"
    # Again, with another password: the admin keeps the first one.
    monkeypatch.setenv("BOOTSTRAP_ADMIN_PASSWORD", "another long passphrase")
    assert cli.main(["migrate"]) == 0
    assert db_client.post("/login", data=grant_form).status_code == 200
    # A registered user named as the administrator is made one; the password stays theirs.
    register(db_client, "ada")
    monkeypatch.setenv("BOOTSTRAP_ADMIN_USERNAME", "ada")
    assert cli.main(["migrate"]) == 0
    assert token_response(db_client).json()["scope"] == "catalog:write"


@pytest.mark.parametrize("password", [None, "", "short"])
def test_an_admin_without_a_real_password_is_refused(
    sqlite_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    password: str | None,
) -> None:
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    monkeypatch.setenv("BOOTSTRAP_ADMIN_USERNAME", "root")
    if password is not None:
        monkeypatch.setenv("BOOTSTRAP_ADMIN_PASSWORD", password)
    assert cli.main(["migrate"]) == 2
    assert "BOOTSTRAP_ADMIN_PASSWORD: BOOTSTRAP_ADMIN_USERNAME needs a password" in (
        capsys.readouterr().err
    )


def test_the_roles_migration_makes_existing_users_readers(tmp_path: Any) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade(url, "meatyapis_fastapi", "0001")
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO users (username, email, password_hash, created_at)"
                    " VALUES ('ada', 'ada@example.com', 'x', '2026-01-01')"
                )
            )
        upgrade(url, "meatyapis_fastapi")
        with engine.connect() as connection:
            assert connection.execute(text("SELECT role FROM users")).scalar_one() == "reader"
    finally:
        engine.dispose()


def test_openapi_documents_the_scheme_its_scopes_and_where_it_is_required(
    client: TestClient,
) -> None:
    document = client.get("/openapi.json").json()
    scheme = document["components"]["securitySchemes"]["OAuth2PasswordBearer"]
    assert scheme["flows"]["password"]["scopes"] == {
        "catalog:write": "Create, change and delete products in the catalog."
    }
    for path in ("/verify", "/info", "/users/me"):
        assert document["paths"][path]["get"]["security"] == [{"OAuth2PasswordBearer": []}]
    assert "security" not in document["paths"]["/register"]["post"]
    claims = document["components"]["schemas"]["TokenClaims"]["properties"]
    assert "scope" in claims
