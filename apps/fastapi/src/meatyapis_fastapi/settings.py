"""The identity service's configuration: the chassis's service settings plus its own, from
environment variables, validated once at start-up (pydantic-settings).

A bad value stops start-up with a `ConfigurationError` naming the environment variable.
"""

from __future__ import annotations

import logging
import secrets
from typing import Annotated

from meatyapis_chassis.settings import MigrationSettings, ServiceSettings, load
from pydantic import Field, SecretStr, ValidationInfo, field_validator, model_validator

logger = logging.getLogger(__name__)

MIN_SECRET_LENGTH = 32
DATABASE_URL = "sqlite:///identity.db"

Seconds = Annotated[int, Field(ge=1, le=86_400)]
# Usernames and passwords as registration takes them (schemas.Username, schemas.Password).
USERNAME_PATTERN = r"^[a-zA-Z0-9_.-]{3,32}$"
Username = Annotated[str, Field(pattern=USERNAME_PATTERN)]
MIN_PASSWORD_LENGTH, MAX_PASSWORD_LENGTH = 8, 128


class DatabaseSettings(MigrationSettings):
    """What `users` needs: only the database (no signing key)."""

    database_url: str = DATABASE_URL


class PasswordHashingSettings(MigrationSettings):
    """The argon2id cost: of logins and registrations, and of the administrator `migrate` adds."""

    password_hash_time_cost: int = Field(default=3, ge=1, le=20)
    password_hash_memory_kib: int = Field(default=65_536, ge=1_024, le=1_048_576)
    # argon2 computations at once per worker process; a login beyond them gets 503 at once.
    password_hash_concurrency: int = Field(default=1, ge=1, le=64)


class BootstrapSettings(DatabaseSettings, PasswordHashingSettings):
    """What `migrate` needs: the database, and the first administrator when one is given.

    BOOTSTRAP_ADMIN_USERNAME names the administrator; its password must come with it (there is
    no default password), from a Secret in a cluster or the environment of `make run`.
    """

    bootstrap_admin_username: Username | None = None
    bootstrap_admin_password: SecretStr | None = None
    bootstrap_admin_email: Annotated[str, Field(max_length=320)] = ""

    @field_validator("bootstrap_admin_username", "bootstrap_admin_password", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        """compose.yaml passes an unset variable on as an empty one."""
        return None if value == "" else value

    @field_validator("bootstrap_admin_password")
    @classmethod
    def _password_with_the_username(
        cls, value: SecretStr | None, info: ValidationInfo
    ) -> SecretStr | None:
        if info.data.get("bootstrap_admin_username") is None:
            return value
        secret = "" if value is None else value.get_secret_value()
        if not MIN_PASSWORD_LENGTH <= len(secret) <= MAX_PASSWORD_LENGTH:
            raise ValueError(
                f"BOOTSTRAP_ADMIN_USERNAME needs a password of {MIN_PASSWORD_LENGTH} to "
                f"{MAX_PASSWORD_LENGTH} characters (there is no default)"
            )
        return value


class Settings(ServiceSettings, PasswordHashingSettings):
    """Every setting of the service; each field is read from the upper-case variable of its name."""

    database_url: str = DATABASE_URL
    max_requests_jitter: int = Field(default=1_000, ge=0)
    max_body_bytes: int = Field(default=65_536, ge=1_024, le=10_485_760)

    docs_enabled: bool = True

    dev_mode: bool = False
    token_secret: SecretStr = Field(default=SecretStr(""), validate_default=True)
    token_ttl_seconds: int = Field(default=3_600, ge=60, le=86_400)
    # Tokens living longer are refused, whoever signed them (ASVS 3.3.2: re-authentication
    # at least every 12 hours).
    token_max_lifetime_seconds: int = Field(default=43_200, ge=60, le=86_400)

    # Failures per (username, client address), then per client address over all usernames.
    login_max_failures: int = Field(default=5, ge=1, le=1_000)
    login_max_failures_per_ip: int = Field(default=50, ge=1, le=100_000)
    login_failure_window_seconds: Seconds = 300
    # Failures per username from every address before each next attempt waits 1, 2, 4 … s.
    login_username_backoff_after: int = Field(default=10, ge=2, le=10_000)
    login_username_backoff_max_seconds: int = Field(default=60, ge=1, le=3_600)

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

    @model_validator(mode="after")
    def _consistent_limits(self) -> Settings:
        if self.token_ttl_seconds > self.token_max_lifetime_seconds:
            raise ValueError(
                f"TOKEN_TTL_SECONDS={self.token_ttl_seconds} exceeds "
                f"TOKEN_MAX_LIFETIME_SECONDS={self.token_max_lifetime_seconds}"
            )
        if self.login_username_backoff_after <= self.login_max_failures:
            raise ValueError(
                f"LOGIN_USERNAME_BACKOFF_AFTER={self.login_username_backoff_after} must exceed "
                f"LOGIN_MAX_FAILURES={self.login_max_failures}, or one client address could "
                "slow down every login of a username"
            )
        return self


def ephemeral_secret() -> str:
    return secrets.token_urlsafe(48)


def load_settings() -> Settings:
    """Settings from the environment, or a `ConfigurationError` naming each bad variable."""
    return load(Settings)


def load_database_settings() -> DatabaseSettings:
    return load(DatabaseSettings)


def load_bootstrap_settings() -> BootstrapSettings:
    return load(BootstrapSettings)


def signing_key_environment(settings: Settings) -> dict[str, str]:
    """TOKEN_SECRET for gunicorn and its workers: the (possibly DEV_MODE-generated) signing key,
    so that a token signed by one worker verifies in every other."""
    return {"TOKEN_SECRET": settings.token_secret.get_secret_value()}
