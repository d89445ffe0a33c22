"""Both services under gunicorn without PROMETHEUS_MULTIPROC_DIR in the environment: the workers
share a directory the server makes itself, which the master's metrics listener reads, and every
request is counted (prometheus_client chose its values when the master imported it, before the
directory existed: each worker chooses again)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bench import services
from bench.services import Service

pytestmark = pytest.mark.integration

REQUESTS = 40


def start(name: str, tmp_path: Path, workers: int) -> Service:
    if name == "catalog":
        env = services.flask_env(
            tmp_path, services.flask_database(tmp_path / "db"), workers=workers
        )
        start_server = services.flask_gunicorn
    else:
        env = services.fastapi_env(
            tmp_path, services.fastapi_database(tmp_path / "db"), workers=workers
        )
        start_server = services.fastapi_gunicorn
    env.pop("PROMETHEUS_MULTIPROC_DIR")
    return start_server(name, tmp_path, env)


def hello_count(metrics_url: str) -> float:
    text = httpx.get(metrics_url, timeout=10).text
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "http_request_duration_seconds_count"
        and sample.labels["handler"] == "/hello"
    )


@pytest.mark.parametrize("workers", [1, 2])
@pytest.mark.parametrize("name", ["catalog", "identity"])
def test_every_request_is_counted(name: str, workers: int, tmp_path: Path) -> None:
    with start(name, tmp_path, workers) as service:
        for _ in range(REQUESTS):
            # A connection each, so that with two workers both answer some.
            response = httpx.get(service.url + "/hello", headers={"Connection": "close"})
            assert response.status_code == 200
        assert hello_count(service.metrics_url) == REQUESTS
