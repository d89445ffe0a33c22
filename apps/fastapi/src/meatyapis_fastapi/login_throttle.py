"""Rate limit of failed logins per username and per client address, kept in the database.

A sliding window over the `login_failures` table, so every worker process sees the same counts.
"""

from __future__ import annotations

import math

from sqlalchemy import ColumnElement, delete, func, select
from sqlalchemy.orm import Session

from meatyapis_fastapi.models import LoginFailure

MAX_KEY_LENGTH = 128


class LoginThrottle:
    def __init__(
        self, session: Session, *, max_per_username: int, max_per_ip: int, window_seconds: int
    ) -> None:
        self.session = session
        self.max_per_username = max_per_username
        self.max_per_ip = max_per_ip
        self.window = window_seconds

    def retry_after(self, username: str, client_ip: str, now: float) -> int | None:
        """Seconds until a login may be tried again, or None when it may be tried now."""
        waits = [
            self._wait(
                LoginFailure.username == username[:MAX_KEY_LENGTH], self.max_per_username, now
            ),
            self._wait(LoginFailure.client_ip == client_ip, self.max_per_ip, now),
        ]
        blocked = [w for w in waits if w is not None]
        return max(blocked) if blocked else None

    def _wait(self, which: ColumnElement[bool], limit: int, now: float) -> int | None:
        in_window = (which, LoginFailure.failed_at > now - self.window)
        count = self.session.scalar(select(func.count()).where(*in_window)) or 0
        if count < limit:
            return None
        # The failure whose expiry brings the count below the limit again.
        freeing = self.session.scalar(
            select(LoginFailure.failed_at)
            .where(*in_window)
            .order_by(LoginFailure.failed_at)
            .offset(count - limit)
            .limit(1)
        )
        assert freeing is not None
        return max(1, math.ceil(freeing + self.window - now))

    def record_failure(self, username: str, client_ip: str, now: float) -> None:
        self.session.execute(
            delete(LoginFailure).where(LoginFailure.failed_at <= now - self.window)
        )
        self.session.add(
            LoginFailure(username=username[:MAX_KEY_LENGTH], client_ip=client_ip, failed_at=now)
        )
        self.session.commit()

    def clear(self, username: str) -> None:
        self.session.execute(
            delete(LoginFailure).where(LoginFailure.username == username[:MAX_KEY_LENGTH])
        )
        self.session.commit()
