"""Process lifecycle: the shutdown flag that turns readiness to 503, and the app's lifespan."""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

logger = logging.getLogger(__name__)

# One flag per process: set by the worker's SIGTERM handler (uvicorn_worker) or lifespan shutdown.
shutting_down = threading.Event()


def begin_shutdown() -> None:
    if not shutting_down.is_set():
        logger.info("shutdown begun: readiness now answers 503")
    shutting_down.set()


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    shutting_down.clear()
    logger.info("application started")
    try:
        yield
    finally:
        begin_shutdown()
        app.state.db.dispose()
        logger.info("application stopped")
