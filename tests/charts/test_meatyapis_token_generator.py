"""The signing key hook Job's script, taken from the rendered chart, against a fake API server:
it creates the Secret once and never replaces it."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.charts.fake_kube_api import HOST, FakeKubeAPI, make_certificate, serve
from tests.charts.meatyapis import objects
from tests.charts.render import find_object

NAMESPACE = "meatyapis"
SECRET = "meatyapis-fastapi-token"


@pytest.fixture(scope="module")
def job_container() -> dict:
    job = find_object(objects(), "Job", "meatyapis-fastapi-token-generator")
    container: dict = job["spec"]["template"]["spec"]["containers"][0]
    return container


@pytest.fixture(scope="module")
def service_account(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("serviceaccount")
    make_certificate(directory)
    (directory / "token").write_text("hook-token\n")
    (directory / "namespace").write_text(NAMESPACE)
    return directory


@pytest.fixture
def api(service_account: Path) -> Iterator[FakeKubeAPI]:
    with serve(FakeKubeAPI(token="hook-token"), service_account / "ca.crt",
               service_account / "tls.key") as running:  # fmt: skip
        yield running


def run_job(job_container: dict, api: FakeKubeAPI, sa: Path) -> subprocess.CompletedProcess[str]:
    command = job_container["command"]
    assert command[:2] == ["python3", "-c"]
    env = {e["name"]: e["value"] for e in job_container["env"]}
    env |= {"KUBERNETES_SERVICE_HOST": HOST, "KUBERNETES_SERVICE_PORT": str(api.port),
            "SERVICEACCOUNT_DIR": str(sa), "PATH": os.environ["PATH"]}  # fmt: skip
    return subprocess.run(
        [sys.executable, "-c", command[2]], env=env, capture_output=True, text=True, timeout=60,
        check=False,
    )  # fmt: skip


def test_creates_the_secret_when_absent(
    job_container: dict, api: FakeKubeAPI, service_account: Path
) -> None:
    result = run_job(job_container, api, service_account)
    assert result.returncode == 0, result.stderr
    assert "created" in result.stdout
    secret = api.secrets[(NAMESPACE, SECRET)]
    value = base64.b64decode(secret["data"]["TOKEN_SECRET"]).decode()
    assert len(value) >= 32
    assert secret["metadata"]["labels"]["app.kubernetes.io/component"] == "token-secret"
    assert "app.kubernetes.io/managed-by" not in secret["metadata"]["labels"]


def test_keeps_an_existing_secret(
    job_container: dict, api: FakeKubeAPI, service_account: Path
) -> None:
    assert run_job(job_container, api, service_account).returncode == 0
    first = json.dumps(api.secrets[(NAMESPACE, SECRET)], sort_keys=True)
    result = run_job(job_container, api, service_account)
    assert result.returncode == 0, result.stderr
    assert "exists: kept" in result.stdout
    assert json.dumps(api.secrets[(NAMESPACE, SECRET)], sort_keys=True) == first
    assert [m for m, _ in api.requests] == ["GET", "POST", "GET"]


def test_a_concurrent_creation_wins(
    job_container: dict, api: FakeKubeAPI, service_account: Path
) -> None:
    api.fail["POST"] = 409
    result = run_job(job_container, api, service_account)
    assert result.returncode == 0, result.stderr
    assert "kept" in result.stdout


def test_fails_when_not_allowed(
    job_container: dict, api: FakeKubeAPI, service_account: Path
) -> None:
    api.fail["GET"] = 403
    result = run_job(job_container, api, service_account)
    assert result.returncode != 0
    assert "403" in result.stderr
    assert not api.secrets
