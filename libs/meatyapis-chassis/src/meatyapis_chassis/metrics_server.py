"""The metrics listener: `/metrics` on a port of its own (METRICS_PORT), never on the API port.

gunicorn's master serves it, from a thread, with every worker's samples (the multiprocess
directory, read as `metrics.scrape` reads it), so a scrape does not take a worker from the API
and needs no route of the app. A NetworkPolicy can then let Prometheus reach this port only,
and the API port stays closed to it. The listener answers `GET` and `HEAD` of `/metrics` and a
404 or 405 to anything else; workers close their inherited copy of its socket.
"""

from __future__ import annotations

import logging
import socket
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from meatyapis_chassis.metrics import new_registry, scrape
from meatyapis_chassis.security_headers import EVERY_RESPONSE

METRICS_PATH = "/metrics"
log = logging.getLogger(__name__)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # The head and the body go out in two writes: without TCP_NODELAY the body waits for the
    # scraper's delayed ACK of the head (40 ms on Linux) on every keep-alive scrape.
    disable_nagle_algorithm = True
    server_version = "metrics"
    sys_version = ""

    def _answer(self, status: HTTPStatus, body: bytes, content_type: str, head: bool) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in EVERY_RESPONSE:
            self.send_header(name, value)
        if status is HTTPStatus.METHOD_NOT_ALLOWED:
            self.send_header("Allow", "GET, HEAD")
        if status is HTTPStatus.SERVICE_UNAVAILABLE:
            self.send_header("Retry-After", "1")
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def _scrape(self, head: bool) -> None:
        if self.path.partition("?")[0] != METRICS_PATH:
            self._answer(
                HTTPStatus.NOT_FOUND, b"only /metrics is served here\n", "text/plain", head
            )
            return
        try:
            body, content_type = scrape(new_registry(), self.headers.get("Accept"))
        except Exception:
            # A worker file that cannot be read: this scrape fails (Prometheus records it and
            # tries again), the listener and the connection stay.
            log.exception("the workers' metrics could not be read")
            self._answer(
                HTTPStatus.SERVICE_UNAVAILABLE, b"metrics unreadable, retry\n", "text/plain", head
            )
            return
        self._answer(HTTPStatus.OK, body, content_type, head)

    def do_GET(self) -> None:
        self._scrape(head=False)

    def do_HEAD(self) -> None:
        self._scrape(head=True)

    def _refuse(self) -> None:
        self._answer(HTTPStatus.METHOD_NOT_ALLOWED, b"", "text/plain", head=False)

    do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = _refuse

    def log_message(self, format: str, *args: Any) -> None:
        pass  # scrapes are counted by Prometheus; the master's log stays for the workers


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False


class MetricsServer:
    def __init__(self, host: str, port: int) -> None:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        server_class = type("MetricsHTTPServer", (_Server,), {"address_family": family})
        self._server: ThreadingHTTPServer = server_class((host, port), _Handler)
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="metrics", daemon=True
        )

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def start(self) -> MetricsServer:
        self._thread.start()
        return self

    def close_inherited(self) -> None:
        """In a forked worker: close the copy of the listening socket (only the master serves)."""
        self._server.socket.close()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
