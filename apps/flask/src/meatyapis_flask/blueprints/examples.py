"""The example endpoints: hello and add."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask import Blueprint, request

from meatyapis_flask.payloads import body
from meatyapis_flask.schemas import AddRequest

bp = Blueprint("examples", __name__)


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
