"""Fixtures of the identity service tests: migrated databases and in-process clients."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from apps.fastapi.tests.helpers import make_settings, migrate, open_client


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Unit tests run single-process: no multiprocess metrics dir, no settings from outside."""
    for name in ("PROMETHEUS_MULTIPROC_DIR", "TOKEN_SECRET", "DEV_MODE", "DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'identity.db'}"
    migrate(url)
    return url


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated, empty database: SQLite in a temp dir, or one on the real PostgreSQL server."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'identity.db'}"
    else:
        url = str(request.getfixturevalue("postgres_url"))
    migrate(url)
    return url


@pytest.fixture
def client(sqlite_url: str) -> Iterator[TestClient]:
    with open_client(make_settings(sqlite_url)) as test_client:
        yield test_client


@pytest.fixture
def db_client(database_url: str) -> Iterator[TestClient]:
    """A client on SQLite and on PostgreSQL (the test runs once for each)."""
    with open_client(make_settings(database_url)) as test_client:
        yield test_client
