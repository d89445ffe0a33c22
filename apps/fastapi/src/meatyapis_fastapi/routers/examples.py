"""The example endpoints: welcome, hello and add."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from meatyapis_fastapi.dependencies import require_json
from meatyapis_fastapi.problems import problem_responses
from meatyapis_fastapi.schemas import AddRequest, AddResult, Message, Welcome

router = APIRouter(tags=["examples"])


@router.get("/", response_model=Welcome)
def welcome() -> Welcome:
    return Welcome(Welcome="to the MeatyAPIs FastAPI service!")


@router.get("/hello", response_model=Message)
def hello() -> Message:
    return Message(message="Hello, World!")


@router.post(
    "/add",
    response_model=AddResult,
    dependencies=[Depends(require_json)],
    responses=problem_responses(400, 413, 415, 422),
)
def add(numbers: AddRequest) -> AddResult:
    """Add two integers (booleans, floats and strings are refused)."""
    return AddResult(result=numbers.a + numbers.b)
