"""JSON lines with the request id, the shared dictConfig and the one access line."""

from __future__ import annotations

import io
import json
import logging
import sys
from collections.abc import Iterator

import pytest
from meatyapis_chassis.logs import (
    JsonFormatter,
    RequestIdFilter,
    configure_logging,
    log_access,
    logging_config,
)
from meatyapis_chassis.request_id import request_id_var


class Lines:
    """The JSON lines logged to `chassis.test` while the fixture is active."""

    def __init__(self) -> None:
        self.stream = io.StringIO()

    def read(self) -> list[dict[str, object]]:
        return [json.loads(line) for line in self.stream.getvalue().splitlines()]


@pytest.fixture
def logged() -> Iterator[Lines]:
    lines = Lines()
    handler = logging.StreamHandler(lines.stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    logger = logging.getLogger("chassis.test")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield lines
    finally:
        logger.removeHandler(handler)


def test_a_line_carries_the_request_id_of_its_context(logged: Lines) -> None:
    logger = logging.getLogger("chassis.test")
    token = request_id_var.set("req-7")
    try:
        logger.info("inside", extra={"answer": 42, "nothing": None})
    finally:
        request_id_var.reset(token)
    logger.info("outside")
    lines = logged.read()
    inside = next(line for line in lines if line["message"] == "inside")
    outside = next(line for line in lines if line["message"] == "outside")
    assert inside["request_id"] == "req-7"
    assert inside["answer"] == 42
    assert "nothing" not in inside
    assert {"time", "level", "logger", "process"} <= set(inside)
    assert "request_id" not in outside


def test_exceptions_are_logged_as_one_json_line() -> None:
    try:
        raise ValueError("boom")
    except ValueError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", None, sys.exc_info())
    line = JsonFormatter().format(record)
    assert "\n" not in line
    parsed = json.loads(line)
    assert "ValueError: boom" in parsed["exception"]
    assert "Traceback" in parsed["exception"]


def test_the_config_sends_servers_and_apps_to_json_stdout() -> None:
    config = logging_config("WARNING")
    assert config["root"] == {"level": "WARNING", "handlers": ["stdout"]}
    assert config["handlers"]["stdout"]["stream"] == "ext://sys.stdout"
    for server in ("gunicorn.error", "uvicorn.error"):
        assert config["loggers"][server] == {
            "level": "WARNING",
            "handlers": ["stdout"],
            "propagate": False,
        }
    for access in ("gunicorn.access", "uvicorn.access"):
        assert config["loggers"][access]["level"] == "WARNING"


def test_configuring_twice_keeps_one_handler(monkeypatch: pytest.MonkeyPatch) -> None:
    root = logging.getLogger()
    monkeypatch.setattr(root, "handlers", [])
    monkeypatch.setattr(root, "level", root.level)
    configure_logging("INFO")
    configure_logging("DEBUG")
    assert [type(h.formatter) for h in root.handlers] == [JsonFormatter]
    assert root.level == logging.DEBUG


def test_the_access_line(logged: Lines) -> None:
    log_access(
        logging.getLogger("chassis.test"),
        method="GET",
        path="/x",
        status=200,
        duration_ms=1.5,
        route="/x",
        client="127.0.0.1",
        user_agent="",
        traceparent="t" * 200,
    )
    (line,) = logged.read()
    assert line["message"] == "GET /x 200"
    assert (line["method"], line["route"], line["path"], line["status"]) == ("GET", "/x", "/x", 200)
    assert (line["duration_ms"], line["client"]) == (1.5, "127.0.0.1")
    assert "user_agent" not in line
    assert line["traceparent"] == "t" * 128
