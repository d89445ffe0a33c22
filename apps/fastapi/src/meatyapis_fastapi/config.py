"""Configuration from environment variables, validated once at start-up (pydantic-settings).

A bad value stops start-up with a `ConfigError` naming the environment variable.
"""

from __future__ import annotations

import logging
import secrets
from pathlib import Path
from typing import Annotated, Literal, TypeVar

from pydantic import Field, SecretStr, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

logger = logging.getLogger(__name__)

MIN_SECRET_LENGTH = 32

SettingsT = TypeVar("SettingsT", bound="DatabaseSettings")
LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]
Seconds = Annotated[int, Field(ge=1, le=86_400)]


class ConfigError(RuntimeError):
    """The environment holds a missing or invalid setting; the message names the variable."""


class DatabaseSettings(BaseSettings):
    """What `migrate` needs: only the database."""

    model_config = SettingsConfigDict(case_sensitive=False, extra="ignore", frozen=True)

    database_url: str = Field(default="sqlite:///identity.db", min_length=1)

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        if not value.startswith(("sqlite:", "postgresql")):
            raise ValueError("must be a sqlite:/// or postgresql+psycopg:// SQLAlchemy URL")
        return value


class Settings(DatabaseSettings):
    """Every setting of the service; each field is read from the upper-case variable of its name."""

    bind_host: str = "0.0.0.0"  # noqa: S104 - containers listen on every interface
    port: int = Field(default=8080, ge=1, le=65_535)
    web_concurrency: int = Field(default=2, ge=1, le=64)
    log_level: LogLevel = "INFO"
    forwarded_allow_ips: str = "127.0.0.1"
    prometheus_multiproc_dir: Path | None = None
    worker_tmp_dir: str = "/dev/shm"  # noqa: S108 - gunicorn heartbeat files, in RAM
    graceful_timeout: Seconds = 20
    keepalive: Seconds = 75
    max_requests: int = Field(default=10_000, ge=0)
    max_requests_jitter: int = Field(default=1_000, ge=0)
    metrics_enabled: bool = True
    max_body_bytes: int = Field(default=65_536, ge=1_024, le=10_485_760)

    dev_mode: bool = False
    token_secret: SecretStr = Field(default=SecretStr(""), validate_default=True)
    token_ttl_seconds: int = Field(default=3_600, ge=60, le=86_400)

    login_max_failures: int = Field(default=5, ge=1, le=1_000)
    login_max_failures_per_ip: int = Field(default=50, ge=1, le=100_000)
    login_failure_window_seconds: Seconds = 300

    password_hash_time_cost: int = Field(default=3, ge=1, le=20)
    password_hash_memory_kib: int = Field(default=65_536, ge=1_024, le=1_048_576)

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_log_level(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("token_secret")
    @classmethod
    def _strong_token_secret(cls, value: SecretStr, info: ValidationInfo) -> SecretStr:
        secret = value.get_secret_value()
        if len(secret) >= MIN_SECRET_LENGTH:
            return value
        if not info.data.get("dev_mode", False):
            problem = "is missing" if not secret else f"is shorter than {MIN_SECRET_LENGTH} chars"
            raise ValueError(
                f"{problem}: set a random secret of at least {MIN_SECRET_LENGTH} characters "
                "(or DEV_MODE=true for an ephemeral development key)"
            )
        logger.warning(
            "DEV_MODE: TOKEN_SECRET missing or weak, using an ephemeral signing key; "
            "tokens will not survive a restart"
        )
        return SecretStr(ephemeral_secret())


def ephemeral_secret() -> str:
    return secrets.token_urlsafe(48)


def load_settings() -> Settings:
    """Settings from the environment, or a `ConfigError` naming each bad variable."""
    return _load(Settings)


def load_database_settings() -> DatabaseSettings:
    return _load(DatabaseSettings)


def _load(kind: type[SettingsT]) -> SettingsT:
    try:
        return kind()
    except ValidationError as err:
        raise ConfigError(describe_errors(err)) from None


def describe_errors(err: ValidationError) -> str:
    lines = []
    for error in err.errors():
        name = "_".join(str(part) for part in error["loc"]).upper()
        message = error["msg"].removeprefix("Value error, ")
        lines.append(f"{name}: {message}")
    return "invalid configuration: " + "; ".join(lines)
