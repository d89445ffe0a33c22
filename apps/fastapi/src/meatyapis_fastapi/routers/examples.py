"""The example endpoints: welcome, hello and add."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Response

from meatyapis_fastapi.dependencies import require_json
from meatyapis_fastapi.problems import problem_responses
from meatyapis_fastapi.schemas import AddRequest, AddResult, Message, Welcome

router = APIRouter(tags=["examples"])

# Bodies that never change, serialized once: FastAPI neither validates nor serializes a Response
# an endpoint returns itself (`response_model` still documents it).
WELCOME = Welcome(Welcome="to the MeatyAPIs FastAPI service!").model_dump_json().encode()
HELLO = Message(message="Hello, World!").model_dump_json().encode()


@router.get("/", response_model=Welcome)
async def welcome() -> Response:
    return Response(WELCOME, media_type="application/json")


@router.get("/hello", response_model=Message)
async def hello() -> Response:
    return Response(HELLO, media_type="application/json")


@router.post(
    "/add",
    response_model=AddResult,
    dependencies=[Depends(require_json)],
    responses=problem_responses(400, 413, 415, 422),
)
async def add(numbers: AddRequest) -> AddResult:
    """Add two integers (booleans, floats and strings are refused)."""
    return AddResult(result=numbers.a + numbers.b)
