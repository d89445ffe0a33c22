"""The answers gunicorn writes itself, below the app (a request line too long, too many or too
large headers, a malformed request, a bad chunk): a problem document with the security headers
every answer carries, instead of gunicorn's HTML page.

gunicorn's sync and threaded workers write these with `gunicorn.util.write_error`; the catalog's
gunicorn configuration installs `write_problem` there (the uvicorn worker of the identity service
answers such requests in its own protocol class, alike).
"""

from __future__ import annotations

import socket
from http import HTTPStatus

from meatyapis_chassis.problems import PROBLEM_JSON, problem_json
from meatyapis_chassis.security_headers import EVERY_RESPONSE


def problem_answer(status: int, detail: str) -> bytes:
    """The whole HTTP/1.1 answer: status line, headers (the connection closes), body."""
    body = problem_json(status, detail or HTTPStatus(status).description)
    head = [
        f"HTTP/1.1 {status} {HTTPStatus(status).phrase}",
        "Connection: close",
        f"Content-Type: {PROBLEM_JSON}",
        f"Content-Length: {len(body)}",
        *(f"{name}: {value}" for name, value in EVERY_RESPONSE),
    ]
    return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body


def install() -> None:
    """Make gunicorn write its own answers as problems (in its config module: the workers
    forked from the master inherit it)."""
    from gunicorn import util  # the services' dependency, not the chassis's

    def write_problem(sock: socket.socket, status_int: int, reason: str, mesg: str) -> None:
        # `util.write_error`'s signature; the reason phrase is the status's own.
        util.write_nonblock(sock, problem_answer(status_int, mesg))

    util.write_error = write_problem
