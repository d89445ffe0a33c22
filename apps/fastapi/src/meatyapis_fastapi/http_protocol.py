"""uvicorn's httptools protocol with a bounded request head and a gentler shutdown.

- uvicorn buffers any number and size of request headers. Here a request head (request line
  and headers) over MAX_HEAD_BYTES, or with more than MAX_HEADER_FIELDS fields, is refused
  (400 once parsed; 431 while still arriving) and the connection closed, as gunicorn's limits
  do for the catalog.
- httptools parses only the methods it knows, and answers a made-up one (`XKCDQ`) with a
  plain-text 400. Here such a request gets the 405 problem (and access line) that the chassis's
  method filter gives every other unknown method, as the catalog does.
- On shutdown (SIGTERM, a HUP reload, `max_requests`) uvicorn closes idle keep-alive
  connections at once, so a request a client had just sent on one was lost (a reset). Here an
  idle connection lingers for SHUTDOWN_LINGER_SECONDS: a request arriving meanwhile is served,
  with `Connection: close`.
"""

from __future__ import annotations

import asyncio
import re
from http import HTTPStatus
from urllib.parse import unquote

from meatyapis_chassis.methods import KNOWN_METHODS, method_not_allowed
from meatyapis_chassis.problems import PROBLEM_JSON, problem_json
from meatyapis_chassis.request_id import REQUEST_ID_HEADER
from meatyapis_chassis.security_headers import EVERY_RESPONSE
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from meatyapis_fastapi.request_context import access_log

MAX_HEAD_BYTES = 64 * 1024
MAX_HEADER_FIELDS = 100
SHUTDOWN_LINGER_SECONDS = 2.0
_TOKEN = re.compile(rb"[!#$%&'*+.^_`|~0-9A-Za-z-]+")


class HeadTooLarge(Exception):
    """Raised from the parser callback: uvicorn answers 400 and closes the connection."""


def _head_too_large() -> bytes:
    body = problem_json(431, f"the request line and headers exceed {MAX_HEAD_BYTES} bytes")
    head = (
        "HTTP/1.1 431 Request Header Fields Too Large\r\n"
        f"content-type: {PROBLEM_JSON}\r\n"
        + "".join(f"{name.lower()}: {value}\r\n" for name, value in EVERY_RESPONSE)
        + f"content-length: {len(body)}\r\nconnection: close\r\n\r\n"
    )
    return head.encode() + body


def _unknown_method_answer(head: bytes, client: str | None) -> bytes | None:
    """The 405 answer for a request head whose method is a token no route takes, else None."""
    request_line, _, rest = head.partition(b"\r\n")
    method, _, target = request_line.partition(b" ")
    if not _TOKEN.fullmatch(method) or method.decode() in KNOWN_METHODS:
        return None
    fields: dict[str, str] = {}
    for line in rest.split(b"\r\n"):
        name, colon, value = line.partition(b":")
        if not colon:
            break
        fields[name.strip().decode("latin-1").lower()] = value.strip().decode("latin-1")
    path = unquote(target.partition(b" ")[0].partition(b"?")[0].decode("latin-1"))
    headers, body = method_not_allowed(
        access_log,
        method.decode(),
        path,
        fields.get(REQUEST_ID_HEADER.lower()),
        {
            "client": client,
            "user_agent": fields.get("user-agent"),
            "traceparent": fields.get("traceparent"),
        },
    )
    lines = [f"HTTP/1.1 405 {HTTPStatus(405).phrase}", *(f"{n}: {v}" for n, v in headers)]
    return "\r\n".join([*lines, "connection: close", "", ""]).encode("latin-1") + body


class GuardedHttpToolsProtocol(HttpToolsProtocol):
    _in_head = True
    _head_bytes = 0
    _parsed_head_bytes = 0
    _draining = False
    _head_start = b""

    def data_received(self, data: bytes) -> None:
        if self._in_head:
            if self._head_bytes == 0:
                self._head_start = data[:MAX_HEAD_BYTES]
            self._head_bytes += len(data)
        super().data_received(data)
        if self._in_head and self._head_bytes > MAX_HEAD_BYTES and not self.transport.is_closing():
            self.transport.write(_head_too_large())
            self.transport.close()

    def send_400_response(self, msg: str) -> None:
        client = self.client[0] if self.client else None
        answer = _unknown_method_answer(self._head_start, client)
        if answer is None:
            super().send_400_response(msg)
            return
        self.transport.write(answer)
        self.transport.close()

    def on_message_begin(self) -> None:
        self._parsed_head_bytes = 0
        super().on_message_begin()

    def on_url(self, url: bytes) -> None:
        self._parsed_head_bytes += len(url)
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._parsed_head_bytes += len(name) + len(value)
        if len(self.headers) >= MAX_HEADER_FIELDS or self._parsed_head_bytes > MAX_HEAD_BYTES:
            raise HeadTooLarge(f"over {MAX_HEADER_FIELDS} fields or {MAX_HEAD_BYTES} bytes")
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._in_head = False
        super().on_headers_complete()
        if self._draining and self.cycle is not None:
            self.cycle.keep_alive = False

    def on_response_complete(self) -> None:
        self._in_head, self._head_bytes = True, 0
        super().on_response_complete()

    def shutdown(self) -> None:
        if self.cycle is None or self.cycle.response_complete:
            self._draining = True
            asyncio.get_running_loop().call_later(SHUTDOWN_LINGER_SECONDS, self._close_if_idle)
        else:
            self.cycle.keep_alive = False

    def _close_if_idle(self) -> None:
        if self.cycle is None or self.cycle.response_complete:
            self.transport.close()
