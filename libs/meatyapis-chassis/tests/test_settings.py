"""The settings both services share: database URLs, the worker directory, errors naming the
variable."""

from __future__ import annotations

from pathlib import Path

import pytest
from meatyapis_chassis.settings import ConfigurationError, MigrationSettings, ServiceSettings, load


class Example(ServiceSettings):
    database_url: str = "sqlite:///example.db"


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("sqlite:///x.db", "sqlite:///x.db"),
        ("postgres://u:p%40ss@db/x", "postgresql+psycopg://u:p%40ss@db/x"),
        ("postgresql://db/x", "postgresql+psycopg://db/x"),
        ("postgresql+psycopg://db/x", "postgresql+psycopg://db/x"),
    ],
)
def test_database_urls_are_normalised(
    monkeypatch: pytest.MonkeyPatch, given: str, kept: str
) -> None:
    monkeypatch.setenv("DATABASE_URL", given)
    assert load(MigrationSettings).database_url == kept


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("DATABASE_URL", "mysql://db/x", "unsupported driver"),
        ("DATABASE_URL", "::not a url::", "not a database URL"),
        ("LOG_LEVEL", "chatty", "Input should be"),
        ("PORT", "0", "Input should be greater than or equal to 1"),
        ("WORKER_TMP_DIR", "/nonexistent/dir", "/nonexistent/dir is not a writable directory"),
    ],
)
def test_a_bad_value_names_its_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, message: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigurationError, match=f"{variable}: {message}"):
        load(Example)


def test_defaults_and_lower_case_levels(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("LOG_LEVEL", "debug")
    monkeypatch.setenv("WORKER_TMP_DIR", str(tmp_path))
    settings = load(Example)
    assert settings.log_level == "DEBUG"
    assert settings.worker_tmp_dir == tmp_path
    assert settings.bind_host == "0.0.0.0"  # noqa: S104
    assert (settings.port, settings.web_concurrency, settings.worker_timeout) == (8080, 2, 30)
    assert (settings.keepalive, settings.graceful_timeout) == (75, 20)
    assert (settings.max_requests, settings.metrics_enabled) == (10_000, True)
    assert settings.database.get_backend_name() == "sqlite"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("*", "'*' would trust every peer"),
        ("127.0.0.1,*", "'*' would trust every peer"),
        ("proxy.local", "'proxy.local' is not an IP address or CIDR range"),
        ("10.0.0.1/8", "has host bits set"),
    ],
)
def test_trusting_every_peer_or_a_name_is_refused(
    monkeypatch: pytest.MonkeyPatch, value: str, message: str
) -> None:
    monkeypatch.setenv("FORWARDED_ALLOW_IPS", value)
    with pytest.raises(ConfigurationError, match=f"FORWARDED_ALLOW_IPS: .*{message}"):
        load(Example)


def test_proxies_may_be_addresses_and_ranges(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FORWARDED_ALLOW_IPS", "10.244.0.0/16, 127.0.0.1,::1")
    settings = load(Example)
    assert [str(network) for network in settings.trusted_proxies] == [
        "10.244.0.0/16",
        "127.0.0.1/32",
        "::1/128",
    ]
