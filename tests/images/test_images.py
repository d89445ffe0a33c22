"""Each service image run the way Kubernetes and OpenShift run it (restricted profile)."""

from __future__ import annotations

import pytest

from tests.images.engine import (
    APPS,
    RESTRICTED,
    SCRATCH,
    detached,
    engine,
    inspect_image,
    run_once,
    volume,
)
from tests.support.net import free_port, http_status, wait_for_status

pytestmark = [pytest.mark.images, pytest.mark.slow]

# The charts' terminationGracePeriodSeconds is above preStop pause + GRACEFUL_TIMEOUT (20 s).
GRACE_SECONDS = 30
# Everything the FastAPI service needs to start without a real signing key.
APP_ENV = {"flask": [], "fastapi": ["--env=DEV_MODE=true"]}
FORBIDDEN_LOG_TEXT = ("Read-only file system", "Permission denied", "Traceback", "SIGKILL")


@pytest.mark.parametrize("app", APPS)
def test_image_metadata(built_images: dict[str, str], app: str) -> None:
    config = inspect_image(built_images[app])["Config"]
    assert config["User"] == "10001:0"
    assert config["Cmd"] == [f"meatyapis-{app}", "serve"]
    assert {"8080/tcp", "9102/tcp"} <= set(config["ExposedPorts"])
    env = dict(item.split("=", 1) for item in config["Env"])
    assert (env["PORT"], env["METRICS_PORT"]) == ("8080", "9102")
    assert env["PROMETHEUS_MULTIPROC_DIR"] == "/tmp/prometheus-multiproc"
    assert env["PYTHONUNBUFFERED"] == "1"
    database = {"flask": "catalog", "fastapi": "identity"}[app]
    assert env["DATABASE_URL"] == f"sqlite:////data/{database}.db"
    labels = config["Labels"]
    assert labels["org.opencontainers.image.title"] == f"meatyapis-{app}"
    for key in ("source", "version", "revision", "licenses", "description"):
        assert labels[f"org.opencontainers.image.{key}"], key


@pytest.mark.parametrize("app", APPS)
def test_default_user_is_non_root_in_group_zero_and_data_is_group_writable(
    built_images: dict[str, str], app: str
) -> None:
    result = run_once(built_images[app], "sh", "-c", "id -u; id -g; stat -c '%g %a' /data")
    assert result.returncode == 0, result.stdout
    uid, gid, data = result.stdout.split("\n")[:3]
    assert (uid, gid) == ("10001", "0")
    group, mode = data.split()
    assert group == "0"
    assert int(mode, 8) & 0o070 == 0o070, mode


@pytest.mark.parametrize("app", APPS)
def test_runs_restricted_migrates_serves_and_stops_gracefully(
    built_images: dict[str, str], app: str
) -> None:
    with volume() as data:
        common = [*RESTRICTED, *SCRATCH, f"--volume={data}:/data", *APP_ENV[app]]

        # Migrations run as their own container (init container / hook Job), twice: idempotent.
        for _ in range(2):
            migrate = run_once(*common, built_images[app], f"meatyapis-{app}", "migrate")
            assert migrate.returncode == 0, migrate.stdout[-3000:]
            assert not [t for t in FORBIDDEN_LOG_TEXT if t in migrate.stdout], migrate.stdout

        port = free_port()
        with detached(*common, f"--publish=127.0.0.1:{port}:8080", built_images[app]) as server:
            base = f"http://127.0.0.1:{port}"
            try:
                wait_for_status(f"{base}/readyz", 200, timeout=90)
            except TimeoutError:
                pytest.fail(f"/readyz never answered 200:\n{server.logs()[-4000:]}")
            assert http_status(f"{base}/healthz") == 200
            metrics = engine("exec", server.name, "python3", "-c", _FETCH_METRICS)
            assert "meatyapis_build_info" in metrics
            assert "http_request_duration_seconds" in metrics

            server.stop(GRACE_SECONDS)
            state = server.state()
            logs = server.logs()
            assert state["ExitCode"] == 0, logs[-4000:]
            assert not state.get("OOMKilled")
            assert "Shutting down: Master" in logs, logs[-4000:]
            assert not [t for t in FORBIDDEN_LOG_TEXT if t in logs], logs[-4000:]


# From inside the container (the server listens on 0.0.0.0:$PORT, /metrics on $METRICS_PORT):
# one request that is counted (GET /hello), then /metrics.
_FETCH_METRICS = """
import os, time, urllib.request
base = f"http://127.0.0.1:{os.environ['PORT']}"
metrics = f"http://127.0.0.1:{os.environ['METRICS_PORT']}/metrics"
assert urllib.request.urlopen(f"{base}/hello", timeout=10).status == 200
# The request is recorded as the response finishes: poll /metrics briefly (bounded) for it.
for _ in range(100):
    text = urllib.request.urlopen(metrics, timeout=10).read().decode()
    if "http_request_duration_seconds" in text:
        break
    time.sleep(0.1)
print(text)
"""
