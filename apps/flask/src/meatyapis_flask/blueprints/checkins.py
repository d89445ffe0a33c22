"""Check-ins: a user checks in today, and when a user last checked in.

`POST /checkin/<user>` needs no token, as the service has always offered it. So that one client
cannot grow the table without bound, each name remembers the client that first checked it in
(its address, or its IPv6 /64, see client_address.py), and a client may introduce at most
CHECKIN_NAMES_PER_CLIENT names: past that a new name is a 429, while every name already there
keeps checking in, from anywhere. The table holds at most that many names per client address.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, request
from meatyapis_chassis.problems import FieldError, Problem, validation_problem
from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from meatyapis_flask.catalog_app import current_catalog, database
from meatyapis_flask.client_address import client_key
from meatyapis_flask.models import Checkin

bp = Blueprint("checkins", __name__)

USER_PATTERN = re.compile(r"[A-Za-z0-9_@-][A-Za-z0-9._@-]{0,99}")


def _checked_user(user: str) -> str:
    if not USER_PATTERN.fullmatch(user):
        raise validation_problem(
            [
                FieldError(
                    field="user",
                    message="must be 1-100 of A-Z a-z 0-9 . _ @ - (not starting with .)",
                )
            ]
        )
    return user


@bp.post("/checkin/<user>")
def checkin(user: str) -> dict[str, Any]:
    user = _checked_user(user)
    today = datetime.now(UTC).date()
    settings = current_catalog().settings
    client = client_key(request.environ, settings.forwarded_allow_ips)
    with database().write() as session:
        seen = session.execute(
            update(Checkin).where(Checkin.username == user).values(last_seen=today)
        )
        if seen.rowcount == 0:  # type: ignore[attr-defined]
            introduced = session.scalar(
                select(func.count()).select_from(Checkin).where(Checkin.client == client)
            )
            if (introduced or 0) >= settings.checkin_names_per_client:
                raise Problem(
                    429,
                    f"this client has checked in {settings.checkin_names_per_client} different"
                    " names already; names checked in before keep working",
                    "too-many-names",
                )
            # An upsert: the same new name from two clients at once is one check-in, not an error.
            insert = pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert  # type: ignore[union-attr]
            statement = insert(Checkin).values(username=user, last_seen=today, client=client)
            session.execute(
                statement.on_conflict_do_update(
                    index_elements=[Checkin.username], set_={"last_seen": today}
                )
            )
    return {"success": True, "user": user, "date": today.isoformat()}


@bp.get("/last-seen/<user>")
def last_seen(user: str) -> dict[str, Any]:
    user = _checked_user(user)
    with database().read() as session:
        seen = session.scalar(select(Checkin.last_seen).where(Checkin.username == user))
    if seen is None:
        raise Problem(404, f"user {user!r} has never checked in", "unknown-user")
    return {"user": user, "date": seen.isoformat()}
