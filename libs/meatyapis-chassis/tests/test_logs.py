"""JSON lines with the request id, the shared dictConfig, the one access line, and the batched
writes to stdout."""

from __future__ import annotations

import io
import json
import logging
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest
from meatyapis_chassis import logs
from meatyapis_chassis.logs import (
    BatchedStreamHandler,
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


class Writes(io.StringIO):
    """A stream that records each write."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[str] = []

    def write(self, text: str) -> int:
        self.writes.append(text)
        return super().write(text)


@pytest.fixture
def batched(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[logging.Logger, Writes]]:
    """A logger with a BatchedStreamHandler whose periodic flush does not come during a test."""
    monkeypatch.setattr(logs, "FLUSH_INTERVAL_SECONDS", 3600)
    stream = Writes()
    handler = BatchedStreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("chassis.batched")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    try:
        yield logger, stream
    finally:
        logger.removeHandler(handler)
        logger.propagate = True


def test_lines_wait_for_a_batch_until_flushed(batched: tuple[logging.Logger, Writes]) -> None:
    logger, stream = batched
    for n in range(3):
        logger.info("line %d", n)
    assert stream.writes == []
    logger.handlers[0].flush()
    assert len(stream.writes) == 1
    assert [json.loads(line)["message"] for line in stream.writes[0].splitlines()] == [
        "line 0",
        "line 1",
        "line 2",
    ]


def test_a_warning_is_written_at_once_after_what_waits(
    batched: tuple[logging.Logger, Writes],
) -> None:
    logger, stream = batched
    logger.info("before")
    logger.warning("now")
    assert [json.loads(line)["message"] for line in "".join(stream.writes).splitlines()] == [
        "before",
        "now",
    ]


def test_no_write_is_larger_than_pipe_buf_and_every_line_is_whole(
    batched: tuple[logging.Logger, Writes],
) -> None:
    logger, stream = batched
    for n in range(200):
        logger.info("%d %s", n, "x" * 100)
    logger.handlers[0].flush()
    assert len(stream.writes) > 1
    assert all(len(text) <= logs.PIPE_BUF and text.endswith("\n") for text in stream.writes)
    lines = "".join(stream.writes).splitlines()
    assert [int(json.loads(line)["message"].split()[0]) for line in lines] == list(range(200))


def test_waiting_lines_are_written_by_the_flusher(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(logs, "FLUSH_INTERVAL_SECONDS", 0.01)
    stream = Writes()
    handler = BatchedStreamHandler(stream)
    record = logging.LogRecord("chassis.batched", logging.INFO, __file__, 1, "soon", None, None)
    handler.handle(record)
    deadline = time.monotonic() + 10
    while not stream.writes and time.monotonic() < deadline:
        time.sleep(0.01)
    assert stream.getvalue() == "soon\n"


PROGRAM = """
import logging, os, sys
from meatyapis_chassis.logs import configure_logging
configure_logging("INFO")
log = logging.getLogger("chassis.exit")
log.info("before the fork")
if {fork}:
    child = os.fork()
    if child == 0:
        log.info("in the child")
        sys.exit(0)
    os.waitpid(child, 0)
log.info("last line")
"""


@pytest.mark.parametrize("fork", [False, True])
def test_waiting_lines_are_written_at_exit_and_once_across_a_fork(fork: bool) -> None:
    """A process ending normally (a gunicorn worker after SIGTERM) writes what waits; a forked
    child (a new gunicorn worker) does not write its parent's waiting lines a second time."""
    run = subprocess.run(
        [sys.executable, "-c", PROGRAM.format(fork=fork)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    messages = [json.loads(line)["message"] for line in run.stdout.splitlines()]
    expected = (
        ["before the fork", "in the child", "last line"]
        if fork
        else ["before the fork", "last line"]
    )
    assert messages == expected
