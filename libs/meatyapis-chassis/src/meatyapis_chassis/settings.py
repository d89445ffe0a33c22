"""The settings both services read from environment variables, validated once at start-up.

Each service subclasses `ServiceSettings` with its own variables (and its own defaults where
they differ); a bad value stops start-up with a `ConfigurationError` naming the variable.
"""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path
from typing import Literal, TypeVar

from pydantic import Field, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
SUPPORTED_DRIVERS = frozenset({"sqlite", "sqlite+pysqlite", "postgresql+psycopg"})

SettingsT = TypeVar("SettingsT", bound="MigrationSettings")


class ConfigurationError(RuntimeError):
    """A missing or invalid environment variable; the message names it."""


class MigrationSettings(BaseSettings):
    """What `migrate` needs: the database and the log level."""

    model_config = SettingsConfigDict(extra="ignore", frozen=True, validate_default=True)

    database_url: str
    log_level: LogLevel = "INFO"

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
        if url.drivername not in SUPPORTED_DRIVERS:
            raise ValueError(
                f"unsupported driver {url.drivername!r}: use sqlite:///path or "
                "postgresql+psycopg://user@host/db"
            )
        return url.render_as_string(hide_password=False)

    @property
    def database(self) -> URL:
        return make_url(self.database_url)


class ServiceSettings(MigrationSettings):
    """The variables of serving, alike in both services (each README documents them)."""

    bind_host: str = "0.0.0.0"  # noqa: S104 - containers must listen on every interface
    port: int = Field(8080, ge=1, le=65535)
    # /metrics is served on a port of its own (see metrics_server.py), never on PORT.
    metrics_port: int = Field(9102, ge=1, le=65535)
    web_concurrency: int = Field(2, ge=1, le=64)
    worker_timeout: int = Field(30, ge=1, le=3600)
    graceful_timeout: int = Field(20, ge=1, le=3600)
    keepalive: int = Field(75, ge=1, le=3600)
    max_requests: int = Field(10_000, ge=0)
    max_requests_jitter: int = Field(5_000, ge=0)
    forwarded_allow_ips: str = "127.0.0.1"
    worker_tmp_dir: Path = Path("/dev/shm")  # noqa: S108 - heartbeat files in RAM
    prometheus_multiproc_dir: Path | None = None
    metrics_enabled: bool = True
    max_body_bytes: int = Field(1024 * 1024, ge=1024, le=64 * 1024 * 1024)

    @field_validator("forwarded_allow_ips")
    @classmethod
    def _check_proxies(cls, value: str) -> str:
        proxy_networks(value)
        return value.strip()

    @property
    def trusted_proxies(self) -> tuple[Network, ...]:
        """The networks whose X-Forwarded-* headers are believed (FORWARDED_ALLOW_IPS)."""
        return proxy_networks(self.forwarded_allow_ips)

    @field_validator("metrics_port")
    @classmethod
    def _not_the_api_port(cls, value: int, info: ValidationInfo) -> int:
        if value == info.data.get("port"):
            raise ValueError("must differ from PORT: /metrics has a port of its own")
        return value

    @field_validator("worker_tmp_dir")
    @classmethod
    def _check_tmp_dir(cls, value: Path) -> Path:
        if not value.is_dir() or not os.access(value, os.W_OK):
            raise ValueError(f"{value} is not a writable directory")
        return value


def proxy_networks(value: str) -> tuple[Network, ...]:
    """Comma-separated proxy addresses and CIDR ranges; `*` (every peer) is refused, since any
    client could then choose the address the service believes it has."""
    networks = []
    for item in (part.strip() for part in value.split(",")):
        if not item:
            continue
        if item == "*":
            raise ValueError(
                "'*' would trust every peer: list the proxies' addresses or CIDR ranges "
                "(e.g. the ingress controller's pod range)"
            )
        try:
            networks.append(ipaddress.ip_network(item))
        except ValueError as err:
            raise ValueError(f"{item!r} is not an IP address or CIDR range: {err}") from None
    return tuple(networks)


def load(kind: type[SettingsT]) -> SettingsT:
    """Read and validate the environment; a bad value raises ConfigurationError naming it."""
    try:
        return kind()
    except ValidationError as err:
        raise ConfigurationError(describe(err)) from None


def describe(err: ValidationError) -> str:
    lines = ["invalid configuration:"]
    for problem in err.errors():
        message = problem["msg"].removeprefix("Value error, ")
        # A check of several variables together names them in its message.
        variable = f"{str(problem['loc'][0]).upper()}: " if problem["loc"] else ""
        lines.append(f"  {variable}{message}")
    return "\n".join(lines)
