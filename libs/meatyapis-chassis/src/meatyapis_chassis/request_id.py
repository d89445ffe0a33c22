"""The request id: one rule for the caller's `X-Request-ID`, and the id of the request being
served, which every log line and problem document of that request carries.

A caller's id is kept when it is 1-128 of `A-Z a-z 0-9 . _ : + / = -` (base64 ids such as
`dGVzdA==` included), so the catalog and the identity service keep the same id for one call and
their log lines join; anything else is replaced by a fresh one.
"""

from __future__ import annotations

import re
import secrets
from contextvars import ContextVar

REQUEST_ID_HEADER = "X-Request-ID"
VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9._:+/=-]{1,128}")

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)


def accept_or_generate_request_id(incoming: str | None) -> str:
    """The caller's id when it follows the rule, otherwise a fresh one (32 hex digits)."""
    if incoming and VALID_REQUEST_ID.fullmatch(incoming):
        return incoming
    return secrets.token_hex(16)  # as random as a UUID 4, without building one per request
