"""The access log is written in batches (the chassis's BatchedStreamHandler): the lines of the
last requests a service answered before SIGTERM still reach its log, once each and whole, from
every worker (gunicorn with gthread workers, gunicorn with uvicorn workers, two each), and so do
the lines each worker writes as it ends (a gthread worker ends through the interpreter's exit; a
uvicorn worker raises the stop signal again once drained and ends by it)."""

from __future__ import annotations

import collections
import signal
from pathlib import Path

import httpx
import pytest

from bench import services
from tests.support.net import HOST, free_port
from tests.support.server_logs import log_entries

pytestmark = pytest.mark.integration

REQUESTS = 60
LAST_LINE = {"catalog": "Worker exiting", "identity": "Finished server process"}


@pytest.mark.parametrize("name", ["catalog", "identity"])
def test_the_last_requests_before_sigterm_are_logged(name: str, tmp_path: Path) -> None:
    if name == "catalog":
        service = services.catalog_service(tmp_path, f"http://{HOST}:{free_port()}")
    else:
        service = services.identity_service(tmp_path)
    request_ids = [f"last-{name}-{n}" for n in range(REQUESTS)]
    with service:
        for request_id in request_ids:
            # A connection each: either worker may answer.
            response = httpx.get(
                service.url + "/hello",
                headers={"X-Request-ID": request_id, "Connection": "close"},
                timeout=10,
            )
            assert response.status_code == 200
        service.process.signal(signal.SIGTERM)
        assert service.process.wait(timeout=60) == 0
    entries = log_entries(service.process.log_path)  # every line JSON: none torn or interleaved
    logged = collections.Counter(
        entry["request_id"] for entry in entries if entry["logger"].endswith(".access")
    )
    assert {request_id: logged[request_id] for request_id in request_ids} == dict.fromkeys(
        request_ids, 1
    )
    booted = {entry["process"] for entry in entries if "Booting worker" in entry["message"]}
    ended = {entry["process"] for entry in entries if LAST_LINE[name] in entry["message"]}
    assert len(booted) == services.STACK_WORKERS
    assert ended == booted
