"""gunicorn's own answers as problem documents, with the headers every answer carries."""

from __future__ import annotations

import json

from meatyapis_chassis.server_errors import problem_answer


def test_an_answer_gunicorn_writes_itself_is_a_problem_with_nosniff() -> None:
    head, _, body = problem_answer(
        431, "Error parsing headers: 'limit request headers fields'"
    ).partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    assert lines[0] == "HTTP/1.1 431 Request Header Fields Too Large"
    headers = dict(line.split(": ", 1) for line in lines[1:])
    assert headers["Content-Type"] == "application/problem+json"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Connection"] == "close"
    assert int(headers["Content-Length"]) == len(body)
    problem = json.loads(body)
    assert (problem["status"], problem["type"]) == (431, "about:blank")
    assert "limit request headers" in problem["detail"]


def test_an_empty_message_gets_the_status_s_description() -> None:
    body = problem_answer(400, "").partition(b"\r\n\r\n")[2]
    assert json.loads(body)["detail"]
