"""A stand-in identity service on 127.0.0.1: a real HTTP server in a thread answering GET /verify.

For tests of the catalog's identity client that need the identity service to misbehave on
purpose (slow, 5xx, garbage) or to count and inspect the calls it gets. `/verify` answers 200
with claims for a known token and 401 otherwise, like the real service.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

from tests.support.net import HOST


class IdentityStub:
    def __init__(self, tokens: Mapping[str, str] | None = None, port: int = 0) -> None:
        self.tokens = dict(tokens if tokens is not None else {"test-token": "alice"})
        self.delay = 0.0  # seconds each answer waits
        self.statuses: list[int] = []  # forced statuses for the next calls, in order
        self.body: bytes | None = None  # a forced body for 200 answers
        self.ttl = 3600  # seconds until the `exp` of the claims it hands out
        self.scope = "catalog:write"  # the `scope` of the claims it hands out
        self.calls: list[dict[str, str]] = []  # the headers of every call, lower-cased names
        self._released = threading.Event()
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer((HOST, port), self._handler())
        self._server.daemon_threads = True
        self._server.block_on_close = False  # type: ignore[attr-defined]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def __enter__(self) -> IdentityStub:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._released.set()  # slow answers stop waiting
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def _answer(self, headers: Mapping[str, str]) -> tuple[int, bytes]:
        with self._lock:
            self.calls.append({name.lower(): value for name, value in headers.items()})
            forced = self.statuses.pop(0) if self.statuses else None
        if self.delay:
            self._released.wait(self.delay)
        if forced is not None and forced != 200:
            return forced, b'{"detail": "forced"}'
        scheme, _, token = headers.get("Authorization", "").partition(" ")
        subject = self.tokens.get(token) if scheme.lower() == "bearer" else None
        if subject is None:
            return 401, b'{"detail": "invalid token"}'
        if self.body is not None:
            return 200, self.body
        now = int(time.time())
        claims: dict[str, Any] = {
            "sub": subject,
            "username": subject,
            "iss": "identity-stub",
            "iat": now,
            "exp": now + self.ttl,
            "jti": f"jti-{len(self.calls)}",
            "scope": self.scope,
        }
        return 200, json.dumps(claims).encode()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                if self.path != "/verify":
                    status, body = 404, b'{"detail": "not found"}'
                else:
                    status, body = stub._answer(dict(self.headers.items()))
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:
                    pass  # the client gave up waiting (a timeout under test)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler
