"""Probes: liveness and readiness (database reachable, shutdown not begun)."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Depends
from meatyapis_chassis.database import Database
from meatyapis_chassis.lifecycle import shutting_down
from meatyapis_chassis.problems import Problem
from sqlalchemy.exc import SQLAlchemyError

from meatyapis_fastapi.dependencies import get_database
from meatyapis_fastapi.problems import problem_responses
from meatyapis_fastapi.schemas import Health

router = APIRouter(tags=["probes"])
logger = logging.getLogger(__name__)


@router.get("/healthz", response_model=Health)
async def healthz() -> Health:
    """The process is alive."""
    return Health(status="ok")


@router.get("/readyz", response_model=Health, responses=problem_responses(503))
def readyz(database: Annotated[Database, Depends(get_database)]) -> Health:
    """Ready for traffic: the database answers and shutdown has not begun."""
    if shutting_down():
        raise Problem(503, "shutting down", "not-ready")
    try:
        database.ping()
    except SQLAlchemyError as err:
        logger.warning("readiness: database unreachable: %s", err.__class__.__name__)
        raise Problem(503, "database unreachable", "not-ready") from err
    return Health(status="ready")
