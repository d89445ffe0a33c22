"""The authenticated user."""

from __future__ import annotations

from fastapi import APIRouter

from meatyapis_fastapi.dependencies import UserDep
from meatyapis_fastapi.models import User
from meatyapis_fastapi.problems import problem_responses
from meatyapis_fastapi.schemas import UserOut

router = APIRouter(prefix="/users", tags=["users"])


@router.get("/me", response_model=UserOut, responses=problem_responses(401))
async def me(user: UserDep) -> User:
    return user
