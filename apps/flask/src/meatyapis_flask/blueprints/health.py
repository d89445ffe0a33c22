"""Probes: /healthz (the process answers) and /readyz (it should get traffic)."""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint
from meatyapis_chassis.lifecycle import shutting_down
from meatyapis_chassis.problems import Problem
from sqlalchemy.exc import SQLAlchemyError

from meatyapis_flask.catalog_app import database

bp = Blueprint("health", __name__)
log = logging.getLogger(__name__)


@bp.get("/healthz")
def healthz() -> dict[str, Any]:
    return {"status": "ok"}


@bp.get("/readyz")
def readyz() -> dict[str, Any]:
    if shutting_down():
        raise Problem(503, "shutting down", "not-ready")
    try:
        database().ping()
    except SQLAlchemyError as err:
        log.warning("readiness: database unreachable: %s", err.__class__.__name__)
        raise Problem(503, "the database is unreachable", "not-ready") from None
    return {"status": "ready"}
