"""Configuration, only from environment variables, validated once at start-up."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AnyHttpUrl, Field, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

_ORIGIN = re.compile(r"^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?$")
_SUPPORTED_DRIVERS = {"sqlite", "sqlite+pysqlite", "postgresql+psycopg"}

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]


class ConfigurationError(RuntimeError):
    """A bad environment variable; the message names it."""


class Settings(BaseSettings):
    """Every environment variable the service reads (README.md documents each one)."""

    model_config = SettingsConfigDict(extra="ignore", frozen=True, validate_default=True)

    bind_host: str = "0.0.0.0"  # noqa: S104 - containers must listen on every interface
    port: int = Field(8080, ge=1, le=65535)
    web_concurrency: int = Field(2, ge=1, le=64)
    threads: int = Field(4, ge=1, le=64)
    worker_timeout: int = Field(30, ge=1, le=3600)
    graceful_timeout: int = Field(20, ge=1, le=3600)
    keepalive: int = Field(75, ge=1, le=3600)
    max_requests: int = Field(10_000, ge=0)
    max_requests_jitter: int = Field(5_000, ge=0)
    forwarded_allow_ips: str = "127.0.0.1"
    worker_tmp_dir: Path = Path("/dev/shm")  # noqa: S108 - heartbeat files in RAM
    prometheus_multiproc_dir: Path | None = None
    database_url: str = "sqlite:///catalog.db"
    log_level: LogLevel = "INFO"
    metrics_enabled: bool = True
    cors_allowed_origins: Annotated[tuple[str, ...], NoDecode] = ()
    identity_url: AnyHttpUrl = AnyHttpUrl("http://127.0.0.1:8002")
    identity_connect_timeout_seconds: float = Field(0.25, gt=0, le=10)
    identity_read_timeout_seconds: float = Field(0.5, gt=0, le=10)
    identity_deadline_seconds: float = Field(0.7, gt=0, le=10)
    identity_attempts: int = Field(2, ge=1, le=5)
    identity_backoff_seconds: float = Field(0.05, ge=0, le=5)
    identity_breaker_failures: int = Field(5, ge=1, le=1000)
    identity_breaker_cooldown_seconds: float = Field(5.0, gt=0, le=600)
    identity_cache_ttl_seconds: float = Field(10.0, ge=0, le=3600)
    identity_cache_size: int = Field(1024, ge=0, le=1_000_000)
    max_body_bytes: int = Field(1024 * 1024, ge=1024, le=64 * 1024 * 1024)

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_level(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("database_url")
    @classmethod
    def _check_database_url(cls, value: str) -> str:
        try:
            url = make_url(value)
        except ArgumentError as err:
            raise ValueError(f"not a database URL: {err}") from err
        if url.drivername in {"postgres", "postgresql"}:
            url = url.set(drivername="postgresql+psycopg")
        if url.drivername not in _SUPPORTED_DRIVERS:
            raise ValueError(
                f"unsupported driver {url.drivername!r}: use sqlite:///path or "
                "postgresql+psycopg://user@host/db"
            )
        return url.render_as_string(hide_password=False)

    @field_validator("cors_allowed_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value

    @field_validator("cors_allowed_origins")
    @classmethod
    def _check_origins(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for origin in value:
            if origin != "*" and not _ORIGIN.match(origin):
                raise ValueError(f"{origin!r} is not an origin like https://example.com[:port]")
        return value

    @field_validator("identity_deadline_seconds")
    @classmethod
    def _check_deadline(cls, value: float, info: ValidationInfo) -> float:
        connect = info.data.get("identity_connect_timeout_seconds")
        if connect is not None and value < connect:
            raise ValueError(
                "must be at least IDENTITY_CONNECT_TIMEOUT_SECONDS, or no call could connect"
            )
        return value

    @field_validator("worker_tmp_dir")
    @classmethod
    def _check_tmp_dir(cls, value: Path) -> Path:
        if not value.is_dir() or not os.access(value, os.W_OK):
            raise ValueError(f"{value} is not a writable directory")
        return value

    @property
    def database(self) -> URL:
        return make_url(self.database_url)


def load_settings() -> Settings:
    """Read and validate the environment; a bad value raises ConfigurationError naming it."""
    try:
        return Settings()
    except ValidationError as err:
        raise ConfigurationError(describe(err)) from None


def describe(err: ValidationError) -> str:
    lines = ["invalid configuration:"]
    for problem in err.errors():
        variable = str(problem["loc"][0]).upper() if problem["loc"] else "?"
        lines.append(f"  {variable}: {problem['msg']}")
    return "\n".join(lines)
