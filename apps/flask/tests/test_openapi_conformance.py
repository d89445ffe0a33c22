"""The OpenAPI document against the implementation: schemathesis through the WSGI app.

Every operation gets positive and negative cases; every response must be documented (status,
content type, headers), match its schema, and no case may get a 5xx. The operations are driven
with hypothesis directly (the schemathesis pytest plugin's lazy loader does not support pytest 9).
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from meatyapis_flask.blueprints.openapi import openapi_document
from schemathesis import GenerationMode
from schemathesis.config._checks import PositiveDataAcceptanceConfig

from .conftest import TEST_TOKEN

SEEDED_PRODUCTS = 5
HTTP_METHODS = {"get", "put", "post", "patch", "delete"}


def _cases() -> list[tuple[str, str, GenerationMode]]:
    """Every operation in positive mode; those with any input also in negative mode."""
    cases = []
    for path, item in openapi_document()["paths"].items():
        for method, operation in item.items():
            if method not in HTTP_METHODS:
                continue
            cases.append((method, path, GenerationMode.POSITIVE))
            if item.get("parameters") or operation.get("parameters") or "requestBody" in operation:
                cases.append((method, path, GenerationMode.NEGATIVE))
    return sorted(cases)


@pytest.fixture
def api_schema(app: Flask) -> Any:
    client = app.test_client()
    for index in range(SEEDED_PRODUCTS):  # so that ids 1..5 exist for GET/PUT/PATCH/DELETE
        client.post("/products", json={"name": f"seed-{index}", "price": "1.00", "quantity": 1})
    client.post("/checkin/alice")
    schema = schemathesis.openapi.from_wsgi("/openapi.json", app)
    # Valid data may still meet a documented, state-dependent refusal: a stale If-Match (412).
    schema.config.checks.positive_data_acceptance = PositiveDataAcceptanceConfig(
        expected_statuses=["2XX", "304", "404", "409", "412"]
    )
    return schema


@pytest.mark.parametrize(("method", "path", "mode"), _cases(), ids=str)
def test_operation_conforms_to_the_openapi_document(
    api_schema: Any, method: str, path: str, mode: GenerationMode
) -> None:
    operation = api_schema[path][method.upper()]
    calls: list[int] = []

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=25,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def check(case: Any) -> None:
        # Writes need a bearer token: the one the unit tests' verifier accepts (conftest.py).
        response = case.call_and_validate(headers={"Authorization": f"Bearer {TEST_TOKEN}"})
        calls.append(response.status_code)

    check()
    assert calls, "no case was generated"
