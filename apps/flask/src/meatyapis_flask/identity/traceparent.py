"""W3C Trace Context `traceparent`: validate the caller's header, make one per outbound call.

An outbound call is a new span of the caller's trace: same trace id and flags, a fresh parent
(span) id. Without a valid incoming header the call starts a new trace.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

_VERSION_00 = re.compile(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$")
# A later version may append fields; its first four fields keep the version 00 layout.
_ANY_VERSION = re.compile(r"^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$")
_ZERO_TRACE = "0" * 32
_ZERO_SPAN = "0" * 16


@dataclass(frozen=True)
class TraceParent:
    trace_id: str
    parent_id: str
    flags: str

    def __str__(self) -> str:
        return f"00-{self.trace_id}-{self.parent_id}-{self.flags}"


def parse(header: str | None) -> TraceParent | None:
    """The header's trace context, or None when it is missing or malformed."""
    if not header:
        return None
    value = header.strip()
    match = _VERSION_00.match(value)
    if match is None:
        later = _ANY_VERSION.match(value)
        if later is None or later.group(1) in {"00", "ff"}:
            return None
        match = later
        trace_id, parent_id, flags = later.group(2, 3, 4)
    else:
        trace_id, parent_id, flags = match.group(1, 2, 3)
    if trace_id == _ZERO_TRACE or parent_id == _ZERO_SPAN:
        return None
    return TraceParent(trace_id, parent_id, flags)


def _span_id() -> str:
    while (span := secrets.token_hex(8)) == _ZERO_SPAN:  # pragma: no cover - 2**-64
        pass
    return span


def child_of(incoming: str | None) -> TraceParent:
    """The traceparent of a new outbound span: in the caller's trace, or in a new sampled one."""
    parent = parse(incoming)
    if parent is None:
        return TraceParent(secrets.token_hex(16), _span_id(), "01")
    # Version 00 defines only the sampled bit; other flag bits are not propagated.
    flags = f"{int(parent.flags, 16) & 0x01:02x}"
    return TraceParent(parent.trace_id, _span_id(), flags)
