"""The catalog's configuration: the chassis's service settings plus its own, only from
environment variables, validated once at start-up."""

from __future__ import annotations

import re
from typing import Annotated

from meatyapis_chassis.settings import ServiceSettings, load
from pydantic import AnyHttpUrl, Field, ValidationInfo, field_validator
from pydantic_settings import NoDecode

_ORIGIN = re.compile(r"^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?$")


class Settings(ServiceSettings):
    """Every environment variable the service reads (README.md documents each one)."""

    database_url: str = "sqlite:///catalog.db"
    threads: int = Field(4, ge=1, le=64)
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
    checkin_names_per_client: int = Field(100, ge=1, le=1_000_000)

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


def load_settings() -> Settings:
    """Read and validate the environment; a bad value raises ConfigurationError naming it."""
    return load(Settings)
