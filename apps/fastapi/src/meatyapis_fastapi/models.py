"""The identity database: users (each with a role) and the recent failed logins behind the
login rate limit."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import DateTime, Float, Index, Integer, MetaData, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from meatyapis_fastapi.roles import DEFAULT_ROLE

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(32), unique=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # One of roles.ROLES; the scopes of the user's tokens follow from it.
    role: Mapped[str] = mapped_column(String(16), default=DEFAULT_ROLE, server_default=DEFAULT_ROLE)


class LoginFailure(Base):
    """One failed login; rows older than the rate-limit window are deleted as new ones arrive."""

    __tablename__ = "login_failures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(128))
    client_ip: Mapped[str] = mapped_column(String(64))
    failed_at: Mapped[float] = mapped_column(Float)

    __table_args__ = (
        Index("ix_login_failures_username_failed_at", "username", "failed_at"),
        Index("ix_login_failures_client_ip_failed_at", "client_ip", "failed_at"),
        Index("ix_login_failures_failed_at", "failed_at"),
    )
