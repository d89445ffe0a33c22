"""The login limits, kept in the database so that every worker and replica sees one count.

The policy (the README's "Login limits" gives the numbers):

- per (username, client address): `max_per_pair` failures within the sliding window, then 429
  until the oldest leaves the window. One address guessing one account is stopped there, and
  never reaches the per-username back-off below: it cannot lock the owner out elsewhere.
- per client address over every username: `max_per_client` failures (credential stuffing).
- per username from every address: past `backoff_after` failures within the window, each next
  attempt waits 1, 2, 4 … seconds after the latest, at most `backoff_max` seconds. Guessing one
  account from many addresses slows down; the owner waits at most `backoff_max`, never a lockout.

IPv6 clients count per /64 network, the block one subscriber usually holds.

Each attempt is reserved before its password is checked: in one transaction that holds the
username's and the client's locks (PostgreSQL advisory transaction locks; on SQLite the write
transaction begins IMMEDIATE, holding the database's write lock), the counts are read and the
attempt is written as a failure. So attempts running at the same time, on any worker, are all
counted, and never more than the limit are checked. A success deletes its reservation (and its
client's failures for the username); a worker that dies mid-check leaves a failure, the safe side.
"""

from __future__ import annotations

import ipaddress
import logging
import math
import zlib
from dataclasses import dataclass

from meatyapis_chassis.database import Database
from sqlalchemy import ColumnElement, delete, func, select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from meatyapis_fastapi.models import LoginFailure

log = logging.getLogger(__name__)

MAX_KEY_LENGTH = 128  # login_failures.username
MAX_CLIENT_LENGTH = 64  # login_failures.client_ip
IPV6_CLIENT_PREFIX = 64
CLEANUP_BATCH = 100  # expired rows deleted per attempt: more than the one it adds
# The two lock spaces of pg_advisory_xact_lock(key1, key2): usernames, then client addresses.
USERNAME_LOCKS, CLIENT_LOCKS = 0x4C4F4755, 0x4C4F4743  # "LOGU", "LOGC"


class LoginLimited(Exception):
    """Too many failures: the attempt is refused without checking the password."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"retry after {retry_after} s")
        self.retry_after = retry_after


class AttemptNotRecorded(Exception):
    """The attempt could not be written: it must be refused, never checked unrecorded."""


@dataclass(frozen=True)
class LoginPolicy:
    max_per_pair: int
    max_per_client: int
    window_seconds: int
    backoff_after: int
    backoff_max_seconds: int

    def backoff(self, failures: int) -> float:
        """Seconds between attempts on a username with `failures` in the window (0: none)."""
        if failures < self.backoff_after:
            return 0.0
        return float(min(self.backoff_max_seconds, 2 ** min(failures - self.backoff_after, 32)))


@dataclass(frozen=True)
class Attempt:
    """A reserved login attempt: the keys it was counted under."""

    username: str
    client: str


def client_key(address: str) -> str:
    """The client's key: its address, or for IPv6 its /64 network."""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:  # a peer that is not an IP address (a test client, "unknown")
        return address[:MAX_CLIENT_LENGTH]
    if parsed.version == 6:
        return str(ipaddress.ip_network(f"{parsed}/{IPV6_CLIENT_PREFIX}", strict=False))
    return str(parsed)


class LoginThrottle:
    def __init__(self, database: Database, policy: LoginPolicy) -> None:
        self.database = database
        self.policy = policy

    def reserve(self, username_key: str, client_address: str, now: float) -> Attempt:
        """Count the attempt as a failure before its password is checked; LoginLimited when a
        limit is reached, AttemptNotRecorded when the database cannot take it."""
        attempt = Attempt(username_key[:MAX_KEY_LENGTH], client_key(client_address))
        try:
            with self.database.write() as session:
                self._lock(session, attempt)
                self._delete_expired(session, now)
                wait = self._retry_after(session, attempt, now)
                if wait is None:
                    session.add(
                        LoginFailure(
                            username=attempt.username, client_ip=attempt.client, failed_at=now
                        )
                    )
        except SQLAlchemyError as err:
            log.error("login attempt not recorded: %s", err.__class__.__name__, exc_info=err)
            raise AttemptNotRecorded from err
        if wait is not None:
            raise LoginLimited(wait)
        return attempt

    def succeeded(self, attempt: Attempt) -> None:
        """The password was right: its client's failures on the username no longer count."""
        try:
            with self.database.write() as session:
                self._lock(session, attempt)
                session.execute(
                    delete(LoginFailure).where(
                        LoginFailure.username == attempt.username,
                        LoginFailure.client_ip == attempt.client,
                    )
                )
        except SQLAlchemyError as err:  # the reservation stays a failure: the safe side
            log.warning("login failures not cleared: %s", err.__class__.__name__)

    def _lock(self, session: Session, attempt: Attempt) -> None:
        if session.get_bind().dialect.name != "postgresql":
            return  # SQLite: the IMMEDIATE transaction holds the write lock already
        # Always the username first, then the client: no two transactions wait on each other.
        for space, key in ((USERNAME_LOCKS, attempt.username), (CLIENT_LOCKS, attempt.client)):
            session.execute(
                text("SELECT pg_advisory_xact_lock(:space, :key)"),
                {"space": space, "key": _lock_key(key)},
            )

    def _delete_expired(self, session: Session, now: float) -> None:
        # SKIP LOCKED (PostgreSQL): rows another transaction is deleting are left to it.
        expired = (
            select(LoginFailure.id)
            .where(LoginFailure.failed_at <= now - self.policy.window_seconds)
            .limit(CLEANUP_BATCH)
            .with_for_update(skip_locked=True)
        )
        ids = list(session.scalars(expired))
        if ids:
            session.execute(delete(LoginFailure).where(LoginFailure.id.in_(ids)))

    def _retry_after(self, session: Session, attempt: Attempt, now: float) -> int | None:
        """Seconds until this attempt may be made, or None when it may be made now."""
        policy = self.policy
        in_window = LoginFailure.failed_at > now - policy.window_seconds
        of_user = LoginFailure.username == attempt.username
        of_client = LoginFailure.client_ip == attempt.client
        waits = [
            self._window_wait(session, of_user & of_client & in_window, policy.max_per_pair, now),
            self._window_wait(session, of_client & in_window, policy.max_per_client, now),
            self._backoff_wait(session, of_user & in_window, now),
        ]
        blocked = [wait for wait in waits if wait is not None]
        return max(blocked) if blocked else None

    def _window_wait(
        self, session: Session, which: ColumnElement[bool], limit: int, now: float
    ) -> int | None:
        count = session.scalar(select(func.count()).where(which)) or 0
        if count < limit:
            return None
        # The failure whose expiry brings the count below the limit again.
        freeing = session.scalar(
            select(LoginFailure.failed_at)
            .where(which)
            .order_by(LoginFailure.failed_at)
            .offset(count - limit)
            .limit(1)
        )
        assert freeing is not None
        return max(1, math.ceil(freeing + self.policy.window_seconds - now))

    def _backoff_wait(self, session: Session, which: ColumnElement[bool], now: float) -> int | None:
        count, latest = session.execute(
            select(func.count(), func.max(LoginFailure.failed_at)).where(which)
        ).one()
        delay = self.policy.backoff(count)
        if not delay or latest + delay <= now:
            return None
        return max(1, math.ceil(latest + delay - now))


def _lock_key(key: str) -> int:
    """A signed 32-bit lock id for `key` (two keys sharing one only wait on each other)."""
    value = zlib.crc32(key.encode())
    return value - 2**32 if value >= 2**31 else value
