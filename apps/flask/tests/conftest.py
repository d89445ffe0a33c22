"""Fixtures of the catalog service's tests: migrated databases (SQLite and PostgreSQL), apps."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from meatyapis_chassis import lifecycle
from meatyapis_chassis.metrics import scrape
from meatyapis_chassis.migrations import upgrade as upgrade_package
from meatyapis_flask.app import create_app
from meatyapis_flask.auth import WRITE_SCOPE, Caller, TokenRejected
from meatyapis_flask.catalog_app import CatalogApp
from meatyapis_flask.settings import Settings


def upgrade(database_url: str) -> None:
    upgrade_package(database_url, "meatyapis_flask")


@pytest.fixture(scope="session")
def migrated_sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated once per session; tests get copies."""
    path = tmp_path_factory.mktemp("template") / "catalog.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture
def sqlite_url(migrated_sqlite_template: Path, tmp_path: Path) -> str:
    path = tmp_path / "catalog.db"
    shutil.copyfile(migrated_sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def migrated_postgres_url(postgres_url: str) -> str:
    upgrade(postgres_url)
    return postgres_url


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest) -> str:
    """The same tests against SQLite and a real PostgreSQL server."""
    fixture = "sqlite_url" if request.param == "sqlite" else "migrated_postgres_url"
    url: str = request.getfixturevalue(fixture)
    return url


def metrics_text(app: Flask) -> str:
    """What the metrics listener would answer for this app's registry (one process)."""
    assert isinstance(app, CatalogApp)
    assert app.metrics_registry is not None
    return scrape(app.metrics_registry)[0].decode()


def make_settings(database_url: str, **overrides: object) -> Settings:
    return Settings(database_url=database_url, **overrides)  # type: ignore[arg-type]


TEST_TOKEN = "test-token"  # an editor's token: the unit tests' verifier accepts it to write
READER_TOKEN = "reader-token"  # a reader's: valid, without the write scope
OTHER_EDITOR_TOKEN = "other-editor-token"  # bob's, another editor
CALLERS = {
    TEST_TOKEN: Caller(subject="1", username="alice", scopes=frozenset({WRITE_SCOPE})),
    READER_TOKEN: Caller(subject="2", username="rita", scopes=frozenset()),
    OTHER_EDITOR_TOKEN: Caller(subject="3", username="bob", scopes=frozenset({WRITE_SCOPE})),
}


class OneTokenVerifier:
    """Accepts TEST_TOKEN (alice, an editor) and READER_TOKEN (rita, a reader): the unit tests'
    stand-in for the identity service (the real HTTP path runs in test_identity_client.py and
    tests/integration)."""

    def verify(self, token: str) -> Caller:
        caller = CALLERS.get(token)
        if caller is None:
            raise TokenRejected("token is not valid")
        return caller


class AuthorizedClient(FlaskClient):
    """A test client that sends `Authorization: Bearer TEST_TOKEN` unless told otherwise."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {TEST_TOKEN}"


def make_app(settings: Settings) -> CatalogApp:
    """The app with the unit tests' verifier; its test clients carry the accepted token."""
    application = create_app(settings)
    application.token_verifier = OneTokenVerifier()
    application.test_client_class = AuthorizedClient
    return application


@pytest.fixture
def app(sqlite_url: str) -> Iterator[CatalogApp]:
    """The app on a fresh SQLite database (for tests that do not depend on the database)."""
    application = make_app(make_settings(sqlite_url))
    yield application
    application.database.dispose()


@pytest.fixture
def client(app: CatalogApp) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def db_app(database_url: str) -> Iterator[CatalogApp]:
    """The app on SQLite and on PostgreSQL (parametrized)."""
    application = make_app(make_settings(database_url))
    yield application
    application.database.dispose()


@pytest.fixture
def db_client(db_app: CatalogApp) -> FlaskClient:
    return db_app.test_client()


@pytest.fixture(autouse=True)
def fresh_lifecycle(monkeypatch: pytest.MonkeyPatch) -> None:
    """A process state in which shutdown has not begun, restored after the test (every test:
    the identity service's tests, in the same process, end their apps' lifespans)."""
    monkeypatch.setattr(lifecycle, "_shutting_down", threading.Event())
