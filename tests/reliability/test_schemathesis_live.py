"""schemathesis against the live services' /openapi.json (gunicorn on 127.0.0.1, both wired
together): thousands of generated requests per service, positive and negative, and not one
5xx or response that breaks the documented schema (status, content type, headers, body).

Slow (a few minutes): part of `make reliability`, not of `make test`.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.config._checks import PositiveDataAcceptanceConfig
from schemathesis.specs.openapi.checks import positive_data_acceptance

from tests.reliability.conftest import Stack
from tests.reliability.measure import figures

pytestmark = [pytest.mark.integration, pytest.mark.slow]

# Most identity operations take no input (hypothesis runs out of distinct cases early), so its
# few operations with input get more examples to reach a few thousand requests too.
EXAMPLES_PER_OPERATION = {"catalog": 250, "identity": 700}
MIN_REQUESTS_PER_SERVICE = 2_000
HTTP_METHODS = {"get", "put", "post", "patch", "delete"}
SKIPPED_PATHS = {"/metrics", "/openapi.json"}  # not JSON APIs of their own


def takes_input(operation: Any) -> bool:
    return any(
        len(part)
        for part in (
            operation.body,
            operation.query,
            operation.path_parameters,
            operation.headers,
        )
    )


def run_schema(
    schema: Any, auth: dict[str, str], examples: int, excluded: Any = lambda case: []
) -> tuple[Counter[int], int]:
    statuses: Counter[int] = Counter()
    operations = [result.ok() for result in schema.get_all_operations()]
    operations = [op for op in operations if op.path not in SKIPPED_PATHS]
    session = requests.Session()
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            if mode is GenerationMode.NEGATIVE and not takes_input(operation):
                continue

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(
                max_examples=examples,
                deadline=None,
                database=None,
                derandomize=True,
                suppress_health_check=list(HealthCheck),
            )
            def check(case: Any) -> None:
                # A real token: generated ones are rejected (401, documented), which would hide
                # every write behind it; the apps' own tests cover bad tokens.
                headers = {**(case.headers or {}), **auth}
                response = case.call_and_validate(
                    session=session, headers=headers, excluded_checks=excluded(case), timeout=30
                )
                statuses[response.status_code] += 1

            check()
    return statuses, len(operations)


def test_catalog_conforms_to_its_openapi_document_live(stack: Stack) -> None:
    schema = schemathesis.openapi.from_url(stack.catalog.url + "/openapi.json")
    # Valid data may meet a documented, state-dependent refusal: missing id, duplicate name,
    # stale If-Match.
    schema.config.checks.positive_data_acceptance = PositiveDataAcceptanceConfig(
        expected_statuses=["2XX", "304", "404", "409", "412"]
    )
    statuses, operations = run_schema(schema, stack.auth, EXAMPLES_PER_OPERATION["catalog"])
    report("catalog", statuses, operations)


def test_identity_conforms_to_its_openapi_document_live(stack: Stack) -> None:
    schema = schemathesis.openapi.from_url(stack.identity.url + "/openapi.json")

    def excluded(case: Any) -> list[Any]:
        # JSON Schema counts 1.0 as an integer; /add deliberately refuses floats (422). Valid
        # credentials may be wrong (400 invalid_grant), taken (409) or rate-limited (429): all
        # documented.
        if case.operation.path in ("/add", "/login", "/register"):
            return [positive_data_acceptance]
        return []

    statuses, operations = run_schema(
        schema, stack.auth, EXAMPLES_PER_OPERATION["identity"], excluded
    )
    report("identity", statuses, operations)


def report(service: str, statuses: Counter[int], operations: int) -> None:
    total = sum(statuses.values())
    server_errors = sum(n for status, n in statuses.items() if status >= 500)
    figures(
        f"schemathesis/{service}",
        operations=operations,
        requests=total,
        failures=server_errors,
        statuses=dict(sorted(statuses.items())),
    )
    assert server_errors == 0
    assert total >= MIN_REQUESTS_PER_SERVICE
