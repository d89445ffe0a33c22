"""uvicorn's httptools protocol with a bounded request head and a gentler shutdown.

- uvicorn buffers any number and size of request headers. Here a request head (request line
  and headers) over MAX_HEAD_BYTES, or with more than MAX_HEADER_FIELDS fields, is refused
  (400 once parsed; 431 while still arriving) and the connection closed, as gunicorn's limits
  do for the catalog.
- On shutdown (SIGTERM, a HUP reload, `max_requests`) uvicorn closes idle keep-alive
  connections at once, so a request a client had just sent on one was lost (a reset). Here an
  idle connection lingers for SHUTDOWN_LINGER_SECONDS: a request arriving meanwhile is served,
  with `Connection: close`.
"""

from __future__ import annotations

import asyncio

from meatyapis_chassis.problems import PROBLEM_JSON, problem_json
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

MAX_HEAD_BYTES = 64 * 1024
MAX_HEADER_FIELDS = 100
SHUTDOWN_LINGER_SECONDS = 2.0


class HeadTooLarge(Exception):
    """Raised from the parser callback: uvicorn answers 400 and closes the connection."""


def _head_too_large() -> bytes:
    body = problem_json(431, f"the request line and headers exceed {MAX_HEAD_BYTES} bytes")
    head = (
        "HTTP/1.1 431 Request Header Fields Too Large\r\n"
        f"content-type: {PROBLEM_JSON}\r\n"
        f"content-length: {len(body)}\r\nconnection: close\r\n\r\n"
    )
    return head.encode() + body


class GuardedHttpToolsProtocol(HttpToolsProtocol):
    _in_head = True
    _head_bytes = 0
    _parsed_head_bytes = 0
    _draining = False

    def data_received(self, data: bytes) -> None:
        if self._in_head:
            self._head_bytes += len(data)
        super().data_received(data)
        if self._in_head and self._head_bytes > MAX_HEAD_BYTES and not self.transport.is_closing():
            self.transport.write(_head_too_large())
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
