"""Configuration from the environment: defaults, parsing, and bad values naming the variable."""

from __future__ import annotations

from pathlib import Path

import pytest
from meatyapis_chassis.settings import ConfigurationError
from meatyapis_flask.app import create_app
from meatyapis_flask.cli import main
from meatyapis_flask.settings import load_settings


def test_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("PORT", "DATABASE_URL", "CORS_ALLOWED_ORIGINS", "LOG_LEVEL", "BIND_HOST"):
        monkeypatch.delenv(name, raising=False)
    settings = load_settings()  # the shared defaults are the chassis's (its tests check them)
    assert settings.threads == 4
    assert settings.max_requests_jitter == 5_000
    assert settings.database_url == "sqlite:///catalog.db"
    assert settings.cors_allowed_origins == ()
    assert settings.metrics_enabled is True
    assert settings.max_body_bytes == 1024 * 1024
    assert str(settings.identity_url) == "http://127.0.0.1:8002/"


def test_values_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PORT", "9000")
    monkeypatch.setenv("LOG_LEVEL", "debug")
    monkeypatch.setenv("METRICS_ENABLED", "false")
    monkeypatch.setenv("CORS_ALLOWED_ORIGINS", "https://a.example, http://b.example:8080,")
    monkeypatch.setenv("DATABASE_URL", "postgresql://u:p%40ss@db:5432/catalog")
    monkeypatch.setenv("WORKER_TMP_DIR", str(tmp_path))
    settings = load_settings()
    assert settings.port == 9000
    assert settings.log_level == "DEBUG"
    assert settings.metrics_enabled is False
    assert settings.cors_allowed_origins == ("https://a.example", "http://b.example:8080")
    assert settings.database_url == "postgresql+psycopg://u:p%40ss@db:5432/catalog"
    assert settings.database.password == "p@ss"
    assert settings.worker_tmp_dir == tmp_path


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("PORT", "eighty"),
        ("PORT", "70000"),
        ("WEB_CONCURRENCY", "0"),
        ("GRACEFUL_TIMEOUT", "-1"),
        ("KEEPALIVE", "x"),
        ("LOG_LEVEL", "chatty"),
        ("METRICS_ENABLED", "maybe"),
        ("DATABASE_URL", "mysql://db/catalog"),
        ("DATABASE_URL", "::not a url::"),
        ("CORS_ALLOWED_ORIGINS", "example.com"),
        ("IDENTITY_URL", "not-a-url"),
        ("IDENTITY_CONNECT_TIMEOUT_SECONDS", "0"),
        ("IDENTITY_READ_TIMEOUT_SECONDS", "11"),
        ("IDENTITY_DEADLINE_SECONDS", "0.1"),  # shorter than the connect timeout
        ("IDENTITY_ATTEMPTS", "0"),
        ("IDENTITY_BACKOFF_SECONDS", "-1"),
        ("IDENTITY_BREAKER_FAILURES", "0"),
        ("IDENTITY_BREAKER_COOLDOWN_SECONDS", "0"),
        ("IDENTITY_CACHE_TTL_SECONDS", "-1"),
        ("IDENTITY_CACHE_SIZE", "many"),
        ("MAX_BODY_BYTES", "10"),
        ("WORKER_TMP_DIR", "/nonexistent/dir"),
    ],
)
def test_bad_value_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigurationError, match=f"{variable}: "):
        load_settings()
    with pytest.raises(ConfigurationError, match=variable):
        create_app()
    assert main(["migrate"]) == 2
    assert f"{variable}: " in capsys.readouterr().err
