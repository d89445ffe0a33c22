"""Fixtures shared by every test suite in the repository."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from meatyapis_chassis import lifecycle
from meatyapis_chassis.request_id import request_id_var

from tests.support.postgres import PostgresServer


@pytest.fixture(autouse=True)
def _process_state_after_each_test() -> Iterator[None]:
    """What one test's app leaves in the process does not reach the next test, of either
    service: an app's shutdown (a TestClient leaving its lifespan) marks the process as shutting
    down, and a request made from inside another one (Flask's test client in a view) shares its
    `g` and leaves the outer request's id set."""
    yield
    lifecycle.serving()
    request_id_var.set(None)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One real PostgreSQL server for the whole session (per xdist worker)."""
    base = Path(tempfile.mkdtemp(prefix="meatyapis-pg-"))
    server = PostgresServer(base)
    server.start()
    try:
        yield server
    finally:
        server.cleanup()


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> str:
    """A fresh, empty database on the session's PostgreSQL server."""
    return postgres_server.create_database()
