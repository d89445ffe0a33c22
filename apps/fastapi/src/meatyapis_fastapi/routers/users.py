"""The authenticated user, and taking back every token of theirs."""

from __future__ import annotations

from fastapi import APIRouter, Response

from meatyapis_fastapi.dependencies import CallerDep, SessionDep, UserDep
from meatyapis_fastapi.models import User
from meatyapis_fastapi.problems import problem_responses
from meatyapis_fastapi.revocation import revoke_all_tokens
from meatyapis_fastapi.schemas import UserOut

router = APIRouter(prefix="/users", tags=["users"])


@router.get("/me", response_model=UserOut, responses=problem_responses(401))
async def me(user: UserDep) -> User:
    return user


@router.delete("/me/tokens", status_code=204, responses=problem_responses(401))
def revoke_my_tokens(caller: CallerDep, session: SessionDep) -> Response:
    """Revoke every token issued to the caller so far, this one included (log out everywhere);
    `meatyapis-fastapi revoke-tokens USERNAME` does the same for an operator."""
    revoke_all_tokens(session, caller.user.id)
    session.commit()
    return Response(status_code=204)
