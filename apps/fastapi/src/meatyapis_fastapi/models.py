"""The identity database: users (each with a role), the recent login attempts that drive the
login limits, and the tokens revoked before their expiry."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import DateTime, Float, Identity, Index, Integer, MetaData, String
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
    """A user. Ids are never reused (SQLite AUTOINCREMENT, a PostgreSQL identity column), so a
    token can never name another user than the one it was issued to."""

    __tablename__ = "users"
    __table_args__ = ({"sqlite_autoincrement": True},)

    id: Mapped[int] = mapped_column(Integer, Identity(), primary_key=True)
    username: Mapped[str] = mapped_column(String(32))  # as registered
    # How usernames compare: see usernames.canonical; unique, so `Ada` and `ada` are one user.
    username_key: Mapped[str] = mapped_column(String(32), unique=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # Every token carries the generation it was issued in; raising it revokes them all.
    token_generation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # One of roles.ROLES; the scopes of the user's tokens follow from it.
    role: Mapped[str] = mapped_column(String(16), default=DEFAULT_ROLE, server_default=DEFAULT_ROLE)


class LoginFailure(Base):
    """One login attempt that has not succeeded: written before the password is checked, so it
    counts while in flight, and deleted when it succeeds. Rows older than the window go."""

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


class RevokedToken(Base):
    """A token taken back before its expiry (`POST /logout`); kept until it would expire."""

    __tablename__ = "revoked_tokens"

    jti: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[float] = mapped_column(Float, index=True)
