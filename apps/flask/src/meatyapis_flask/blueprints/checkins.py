"""Check-ins: a user checks in today, and when a user last checked in."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint
from meatyapis_chassis.problems import FieldError, Problem, validation_problem
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from meatyapis_flask.catalog_app import database
from meatyapis_flask.models import Checkin

bp = Blueprint("checkins", __name__)

USER_PATTERN = re.compile(r"^[A-Za-z0-9_@-][A-Za-z0-9._@-]{0,99}$")


def _checked_user(user: str) -> str:
    if not USER_PATTERN.match(user):
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
    db = database()
    insert = pg_insert if db.dialect == "postgresql" else sqlite_insert
    statement = insert(Checkin).values(username=user, last_seen=today)
    statement = statement.on_conflict_do_update(
        index_elements=[Checkin.username], set_={"last_seen": statement.excluded.last_seen}
    )
    with db.write() as session:
        session.execute(statement)
    return {"success": True, "user": user, "date": today.isoformat()}


@bp.get("/last-seen/<user>")
def last_seen(user: str) -> dict[str, Any]:
    user = _checked_user(user)
    with database().read() as session:
        seen = session.scalar(select(Checkin.last_seen).where(Checkin.username == user))
    if seen is None:
        raise Problem(404, f"user {user!r} has never checked in", "unknown-user")
    return {"user": user, "date": seen.isoformat()}
