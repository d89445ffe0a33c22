"""Probes: liveness and readiness (database reachable, shutdown not begun)."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException
from sqlalchemy.exc import SQLAlchemyError

from meatyapis_fastapi.db import Database
from meatyapis_fastapi.dependencies import get_database
from meatyapis_fastapi.lifecycle import shutting_down
from meatyapis_fastapi.problems import problem_responses
from meatyapis_fastapi.schemas import Health

router = APIRouter(tags=["probes"])
logger = logging.getLogger(__name__)


@router.get("/healthz", response_model=Health)
def healthz() -> Health:
    """The process is alive."""
    return Health(status="ok")


@router.get("/readyz", response_model=Health, responses=problem_responses(503))
def readyz(database: Annotated[Database, Depends(get_database)]) -> Health:
    """Ready for traffic: the database answers and shutdown has not begun."""
    if shutting_down.is_set():
        raise HTTPException(503, "shutting down")
    try:
        database.ping()
    except SQLAlchemyError as err:
        logger.warning("readiness: database unreachable: %s", err.__class__.__name__)
        raise HTTPException(503, "database unreachable") from err
    return Health(status="ready")
