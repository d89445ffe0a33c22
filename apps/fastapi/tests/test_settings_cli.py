"""Settings validation, the `meatyapis-fastapi` commands and the gunicorn configuration hooks."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
from meatyapis_chassis.settings import ConfigurationError
from meatyapis_fastapi import cli
from meatyapis_fastapi.settings import Settings, load_settings
from sqlalchemy import create_engine, inspect

from apps.fastapi.tests.helpers import SECRET
from tests.support.gunicorn_stubs import Server, Worker


def test_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOKEN_SECRET", SECRET)
    settings = load_settings()  # the shared defaults are the chassis's (its tests check them)
    assert settings.token_ttl_seconds == 3600
    assert settings.max_requests_jitter == 1_000
    assert settings.max_body_bytes == 65_536
    assert settings.database_url == "sqlite:///identity.db"
    assert settings.docs_enabled
    assert settings.token_max_lifetime_seconds == 43_200
    assert settings.password_hash_concurrency == 1
    assert (settings.login_max_failures, settings.login_max_failures_per_ip) == (5, 50)
    assert settings.login_failure_window_seconds == 300
    assert settings.login_username_backoff_after == 10
    assert settings.login_username_backoff_max_seconds == 60


def test_environment_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {
        "TOKEN_SECRET": SECRET,
        "PORT": "9000",
        "LOG_LEVEL": "debug",
        "METRICS_ENABLED": "false",
        "WEB_CONCURRENCY": "4",
        "TOKEN_TTL_SECONDS": "600",
    }.items():
        monkeypatch.setenv(name, value)
    settings = load_settings()
    assert (settings.port, settings.log_level, settings.metrics_enabled) == (9000, "DEBUG", False)
    assert (settings.web_concurrency, settings.token_ttl_seconds) == (4, 600)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("PORT", "eighty"),
        ("PORT", "70000"),
        ("WEB_CONCURRENCY", "0"),
        ("LOG_LEVEL", "LOUD"),
        ("DATABASE_URL", "mysql://x/y"),
        ("METRICS_ENABLED", "perhaps"),
        ("TOKEN_TTL_SECONDS", "5"),
        ("KEEPALIVE", "0"),
        ("FORWARDED_ALLOW_IPS", "*"),
        ("PASSWORD_HASH_CONCURRENCY", "0"),
        ("DOCS_ENABLED", "sometimes"),
    ],
)
def test_bad_values_name_the_variable(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv("TOKEN_SECRET", SECRET)
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigurationError, match=f"{name}:"):
        load_settings()


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        (
            {"TOKEN_TTL_SECONDS": "7200", "TOKEN_MAX_LIFETIME_SECONDS": "3600"},
            "TOKEN_TTL_SECONDS=7200 exceeds TOKEN_MAX_LIFETIME_SECONDS=3600",
        ),
        (
            {"LOGIN_USERNAME_BACKOFF_AFTER": "5"},
            "LOGIN_USERNAME_BACKOFF_AFTER=5 must exceed LOGIN_MAX_FAILURES=5",
        ),
    ],
)
def test_values_that_contradict_each_other_are_named(
    monkeypatch: pytest.MonkeyPatch, variables: dict[str, str], message: str
) -> None:
    monkeypatch.setenv("TOKEN_SECRET", SECRET)
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigurationError, match=message):
        load_settings()


def test_missing_token_secret_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="TOKEN_SECRET: is missing"):
        load_settings()


def test_weak_token_secret_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOKEN_SECRET", "x" * 31)
    with pytest.raises(ConfigurationError, match="TOKEN_SECRET: is shorter than 32"):
        load_settings()


@pytest.mark.parametrize("given", [None, "weak"])
def test_dev_mode_generates_an_ephemeral_secret(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, given: str | None
) -> None:
    monkeypatch.setenv("DEV_MODE", "true")
    if given:
        monkeypatch.setenv("TOKEN_SECRET", given)
    first, second = load_settings(), load_settings()
    secret = first.token_secret.get_secret_value()
    assert len(secret) >= 32
    assert secret != second.token_secret.get_secret_value()
    assert "ephemeral" in caplog.text


def test_dev_mode_keeps_a_strong_secret() -> None:
    settings = Settings(dev_mode=True, token_secret=SECRET)
    assert settings.token_secret.get_secret_value() == SECRET


def test_migrate_creates_the_schema_and_is_repeatable(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)
    assert cli.main(["migrate"]) == 0
    assert cli.main(["migrate"]) == 0
    engine = create_engine(database_url)
    try:
        tables = set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
    assert {"users", "login_failures", "alembic_version"} <= tables


def test_migrate_refuses_a_bad_database_url(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", "oracle://nope")
    assert cli.main(["migrate"]) == 2
    assert "DATABASE_URL" in capsys.readouterr().err


def test_serve_refuses_to_start_without_a_secret(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in {"TOKEN_SECRET", "DEV_MODE"}}
    result = subprocess.run(
        [sys.executable, "-m", "meatyapis_fastapi.cli", "serve"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "TOKEN_SECRET" in result.stderr


def test_gunicorn_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    (metrics_dir / "counter_1.db").write_bytes(b"stale")
    (metrics_dir / "leftover").mkdir()
    for name, value in {
        "TOKEN_SECRET": SECRET,
        "PORT": "9123",
        "BIND_HOST": "127.0.0.1",
        "WEB_CONCURRENCY": "3",
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
        "FORWARDED_ALLOW_IPS": "10.0.0.1",
    }.items():
        monkeypatch.setenv(name, value)
    conf = importlib.reload(importlib.import_module("meatyapis_fastapi.gunicorn_conf"))
    assert conf.bind == ["127.0.0.1:9123"]
    assert conf.workers == 3
    assert conf.keepalive == 75
    assert conf.forwarded_allow_ips == "10.0.0.1"
    assert conf.control_socket_disable is True
    assert conf.worker_class == "meatyapis_fastapi.uvicorn_worker.UvicornWorker"
    conf.on_starting(Server())
    assert list(metrics_dir.iterdir()) == []

    (metrics_dir / "gauge_livesum_4242.db").write_bytes(b"")
    conf.child_exit(Server(), Worker(4242))
    assert not (metrics_dir / "gauge_livesum_4242.db").exists()


def test_gunicorn_config_shares_a_dev_mode_key_and_a_metrics_dir(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DEV_MODE", "true")
    conf = importlib.reload(importlib.import_module("meatyapis_fastapi.gunicorn_conf"))
    assert os.environ["TOKEN_SECRET"] == conf.settings.token_secret.get_secret_value()
    assert Path(os.environ["PROMETHEUS_MULTIPROC_DIR"]).is_dir()
    os.environ.pop("PROMETHEUS_MULTIPROC_DIR")  # monkeypatch only restores what it set
    os.environ.pop("TOKEN_SECRET")


def test_worker_uses_uvloop_httptools_and_flips_readiness() -> None:
    from meatyapis_chassis import lifecycle
    from meatyapis_fastapi.uvicorn_worker import ShutdownAwareServer, UvicornWorker
    from uvicorn.config import Config
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    assert UvicornWorker.CONFIG_KWARGS["loop"] == "uvloop"
    assert issubclass(UvicornWorker.CONFIG_KWARGS["http"], HttpToolsProtocol)
    assert UvicornWorker.CONFIG_KWARGS["proxy_headers"] is False  # the app reads them
    server = ShutdownAwareServer(Config(app=None))
    try:
        server.handle_exit(15, None)
        assert lifecycle.shutting_down()
        assert server.should_exit
    finally:
        lifecycle.serving()


def test_main_builds_the_app_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str
) -> None:
    monkeypatch.setenv("TOKEN_SECRET", SECRET)
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    asgi = importlib.reload(importlib.import_module("meatyapis_fastapi.asgi"))
    assert asgi.app.state.settings.database_url == sqlite_url
    assert asgi.app.title == "meatyapis-fastapi"
