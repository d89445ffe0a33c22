"""The original endpoints: hello, add, check-in and last-seen."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from flask import Blueprint, request
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from meatyapis_flask.db import database
from meatyapis_flask.models import Checkin
from meatyapis_flask.payloads import body
from meatyapis_flask.problems import FieldError, Problem, validation_problem
from meatyapis_flask.schemas import AddRequest

bp = Blueprint("basics", __name__)

USER_PATTERN = re.compile(r"^[A-Za-z0-9_@-][A-Za-z0-9._@-]{0,99}$")


@bp.get("/hello")
def hello() -> dict[str, Any]:
    return {"message": "Hello, World!", "user_agent": request.headers.get("User-Agent", "")}


@bp.post("/add")
def add() -> dict[str, Any]:
    numbers = body(AddRequest)
    if isinstance(numbers.a, int) and isinstance(numbers.b, int):
        return {"result": numbers.a + numbers.b}
    # Decimal arithmetic, so 0.1 + 0.2 is 0.3; the nearest double is what JSON can carry.
    return {"result": float(Decimal(numbers.a) + Decimal(numbers.b))}


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
