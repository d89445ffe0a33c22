"""compose.yaml's two service containers, run with podman-compose (docker compose with Docker)
against the images built here. PostgreSQL, Prometheus and Grafana need registry images, so the
services run without their dependencies, on SQLite in their compose volumes."""

from __future__ import annotations

import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.images.engine import ENGINE, ENV, IMAGE_PREFIX, IMAGE_TAG, ROOT
from tests.support.net import free_port, http_status, wait_for_status

pytestmark = [pytest.mark.images, pytest.mark.slow]

COMPOSE = (
    [str(Path(sys.executable).parent / "podman-compose")]
    if ENGINE == "podman"
    else ["docker", "compose"]
)


def compose(project: str, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*COMPOSE, "-p", project, "-f", str(ROOT / "compose.yaml"), *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=240,
        check=False,
    )


@pytest.fixture
def stack(built_images: dict[str, str]) -> Iterator[tuple[dict[str, str], Callable[..., str]]]:
    project = f"meatyapis-test-{uuid.uuid4().hex[:8]}"
    ports = {"flask": free_port(), "fastapi": free_port()}
    env = {
        **ENV,
        "IMAGE_PREFIX": IMAGE_PREFIX,
        "IMAGE_TAG": IMAGE_TAG,
        "FLASK_PORT": str(ports["flask"]),
        "FASTAPI_PORT": str(ports["fastapi"]),
        "FLASK_DATABASE_URL": "sqlite:////data/catalog.db",
        "FASTAPI_DATABASE_URL": "sqlite:////data/identity.db",
    }
    up = compose(project, env, "up", "-d", "--no-build", "--no-deps", "flask", "fastapi")
    try:
        assert up.returncode == 0, up.stdout[-4000:]
        urls = {app: f"http://127.0.0.1:{port}" for app, port in ports.items()}
        yield urls, lambda *args: compose(project, env, *args).stdout[-6000:]
    finally:
        down = compose(project, env, "down", "--volumes", "--timeout", "30")
        assert down.returncode == 0, down.stdout[-4000:]


def test_compose_services_start_migrate_and_answer(
    stack: tuple[dict[str, str], Callable[..., str]],
) -> None:
    urls, run = stack
    for app, base in urls.items():
        try:
            wait_for_status(f"{base}/readyz", 200, timeout=120)
        except TimeoutError:
            pytest.fail(f"{app} from compose.yaml never became ready:\n{run('logs')}")
        assert http_status(f"{base}/hello") == 200
        assert http_status(f"{base}/metrics") == 404  # on the metrics port, not published

    # The catalog reaches the identity service by its compose name (IDENTITY_URL=http://fastapi:8080).
    out = run("exec", "-T", "flask", "python3", "-c", _IDENTITY_FROM_FLASK)
    assert "identity readyz 200" in out, out
    assert "IDENTITY_URL=http://fastapi:8080" in out, out
    # Prometheus' way in: each service's metrics port, from the compose network.
    for app in urls:
        out = run("exec", "-T", "flask", "python3", "-c", _METRICS_OF.format(host=app))
        assert "metrics 200 meatyapis_build_info" in out, out


_METRICS_OF = """
import urllib.request
answer = urllib.request.urlopen("http://{host}:9102/metrics", timeout=10)
text = answer.read().decode()
print("metrics", answer.status, "meatyapis_build_info" if "meatyapis_build_info" in text else "")
"""
_IDENTITY_FROM_FLASK = """
import os, urllib.request
url = os.environ["IDENTITY_URL"]
print(f"IDENTITY_URL={url}")
print("identity readyz", urllib.request.urlopen(url + "/readyz", timeout=10).status)
"""
