"""One request-id rule for both services: plain ids (base64 ones too) are kept, others replaced."""

from __future__ import annotations

import re

import pytest
from meatyapis_chassis.request_id import accept_or_generate_request_id

FRESH = re.compile(r"[0-9a-f]{32}")


@pytest.mark.parametrize(
    "incoming",
    ["req-42", "abc-123.DEF:9_z", "dGVzdA==", "a+b/c=", "x" * 128, "0"],
)
def test_plain_ids_are_kept(incoming: str) -> None:
    assert accept_or_generate_request_id(incoming) == incoming


@pytest.mark.parametrize(
    "incoming",
    [None, "", "x" * 129, "has space", "semi;colon", 'quo"te', "bad\u00e9", "line\n", "tab\t"],
)
def test_anything_else_is_replaced_by_a_fresh_id(incoming: str | None) -> None:
    fresh = accept_or_generate_request_id(incoming)
    assert FRESH.fullmatch(fresh)
    assert fresh != accept_or_generate_request_id(incoming)
