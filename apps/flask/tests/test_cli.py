"""`meatyapis-flask migrate | serve` and the WSGI entry module."""

from __future__ import annotations

import importlib
import logging
import os
import sys
from pathlib import Path

import pytest
from meatyapis_flask import cli
from sqlalchemy import create_engine, inspect, text


@pytest.fixture(autouse=True)
def _keep_logging(monkeypatch: pytest.MonkeyPatch) -> None:
    """`main` and the wsgi module configure logging for the process; undo it after each test."""
    root = logging.getLogger()
    monkeypatch.setattr(root, "handlers", list(root.handlers))
    monkeypatch.setattr(root, "level", root.level)


def test_migrate_creates_the_schema_and_is_repeatable(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    assert cli.main(["migrate"]) == 0
    assert cli.main(["migrate"]) == 0
    engine = create_engine(url)
    try:
        assert {"products", "checkins", "alembic_version"} <= set(inspect(engine).get_table_names())
        with engine.connect() as connection:
            assert (
                connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
                == "0002"
            )
    finally:
        engine.dispose()


def test_migrate_on_postgresql(monkeypatch: pytest.MonkeyPatch, postgres_url: str) -> None:
    monkeypatch.setenv("DATABASE_URL", postgres_url)
    assert cli.main(["migrate"]) == 0
    assert cli.main(["migrate"]) == 0
    engine = create_engine(postgres_url)
    try:
        columns = {c["name"]: c for c in inspect(engine).get_columns("products")}
        assert str(columns["price"]["type"]) == "NUMERIC(12, 2)"
        assert {u["name"] for u in inspect(engine).get_unique_constraints("products")} == {
            "uq_products_name"
        }
    finally:
        engine.dispose()


def test_serve_execs_gunicorn_with_the_config(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[str, list[str]]] = []
    monkeypatch.setattr(os, "execv", lambda path, argv: calls.append((path, list(argv))))
    assert cli.main(["serve", "--check-config"]) == 0
    assert calls == [
        (
            sys.executable,
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--config",
                "python:meatyapis_flask.gunicorn_conf",
                "--check-config",
            ],
        )
    ]


def test_migrate_takes_no_extra_arguments(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["migrate", "--bogus"])
    assert exit_info.value.code == 2
    assert "--bogus" in capsys.readouterr().err


def test_wsgi_module_builds_the_app_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str
) -> None:
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    sys.modules.pop("meatyapis_flask.wsgi", None)
    wsgi = importlib.import_module("meatyapis_flask.wsgi")
    try:
        assert wsgi.app.settings.database_url == sqlite_url
        assert wsgi.app.test_client().get("/readyz").status_code == 200
    finally:
        wsgi.app.database.dispose()
        sys.modules.pop("meatyapis_flask.wsgi", None)
