"""The protected information endpoint."""

from __future__ import annotations

from fastapi import APIRouter

from meatyapis_fastapi.dependencies import ClaimsDep
from meatyapis_fastapi.problems import problem_responses
from meatyapis_fastapi.schemas import Info

router = APIRouter(tags=["info"])


@router.get("/info", response_model=Info, responses=problem_responses(401))
def info(_claims: ClaimsDep) -> Info:
    """Requires a valid bearer token."""
    return Info(info="The answer is 42.")
