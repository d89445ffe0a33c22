"""W3C traceparent: validation of the caller's header, a new span per outbound call."""

from __future__ import annotations

import re

import pytest
from meatyapis_flask.identity.traceparent import TraceParent, child_of, parse

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
SPAN = "00f067aa0ba902b7"
VALID = f"00-{TRACE}-{SPAN}-01"
FORMAT = re.compile(r"^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$")


def test_a_valid_header_is_parsed() -> None:
    assert parse(VALID) == TraceParent(TRACE, SPAN, "01")
    assert parse(f"  {VALID} ") == TraceParent(TRACE, SPAN, "01")


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "garbage",
        f"00-{TRACE}-{SPAN}",  # no flags
        f"00-{TRACE.upper()}-{SPAN}-01",  # upper case is invalid
        f"00-{'0' * 32}-{SPAN}-01",  # all-zero trace id
        f"00-{TRACE}-{'0' * 16}-01",  # all-zero parent id
        f"ff-{TRACE}-{SPAN}-01",  # version ff is forbidden
        f"00-{TRACE}-{SPAN}-01-extra",  # version 00 has exactly four fields
        f"0-{TRACE}-{SPAN}-01",
        f"00-{TRACE[:-1]}-{SPAN}-01",
    ],
)
def test_malformed_headers_are_ignored(header: str | None) -> None:
    assert parse(header) is None


def test_a_later_version_with_more_fields_is_understood() -> None:
    assert parse(f"01-{TRACE}-{SPAN}-01-whatever") == TraceParent(TRACE, SPAN, "01")


def test_a_child_keeps_the_trace_and_sampling_with_a_new_span() -> None:
    first, second = child_of(VALID), child_of(VALID)
    assert first.trace_id == second.trace_id == TRACE
    assert first.flags == "01"
    assert len({first.parent_id, second.parent_id, SPAN}) == 3
    assert FORMAT.match(str(first))
    assert parse(str(first)) == first


def test_a_child_drops_unknown_flag_bits() -> None:
    assert child_of(f"00-{TRACE}-{SPAN}-03").flags == "01"
    assert child_of(f"00-{TRACE}-{SPAN}-02").flags == "00"


@pytest.mark.parametrize("incoming", [None, "garbage", f"00-{'0' * 32}-{SPAN}-01"])
def test_without_a_valid_caller_header_a_new_trace_starts(incoming: str | None) -> None:
    first, second = child_of(incoming), child_of(incoming)
    assert FORMAT.match(str(first))
    assert first.trace_id != second.trace_id
    assert first.flags == "01"
