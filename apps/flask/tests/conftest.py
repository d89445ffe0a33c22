"""Fixtures of the catalog service's tests: migrated databases (SQLite and PostgreSQL), apps."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from meatyapis_flask import lifecycle
from meatyapis_flask.app import create_app
from meatyapis_flask.migrate import upgrade
from meatyapis_flask.settings import Settings


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


def make_settings(database_url: str, **overrides: object) -> Settings:
    return Settings(database_url=database_url, **overrides)  # type: ignore[arg-type]


@pytest.fixture
def app(sqlite_url: str) -> Iterator[Flask]:
    """The app on a fresh SQLite database (for tests that do not depend on the database)."""
    application = create_app(make_settings(sqlite_url))
    yield application
    application.extensions["meatyapis.database"].dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def db_app(database_url: str) -> Iterator[Flask]:
    """The app on SQLite and on PostgreSQL (parametrized)."""
    application = create_app(make_settings(database_url))
    yield application
    application.extensions["meatyapis.database"].dispose()


@pytest.fixture
def db_client(db_app: Flask) -> FlaskClient:
    return db_app.test_client()


@pytest.fixture
def fresh_lifecycle(monkeypatch: pytest.MonkeyPatch) -> None:
    """A process state in which shutdown has not begun, restored after the test."""
    monkeypatch.setattr(lifecycle, "_shutting_down", threading.Event())
