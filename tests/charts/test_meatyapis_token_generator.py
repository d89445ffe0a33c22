"""The signing key hook Job's script, taken from the rendered chart, against a fake API server:
it creates the Secret once and never replaces it."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.charts.fake_kube_api import (
    FakeKubeAPI,
    make_service_account,
    run_hook_script,
    serve_for,
)
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
    return make_service_account(tmp_path_factory.mktemp("serviceaccount"), NAMESPACE)


@pytest.fixture
def api(service_account: Path) -> Iterator[FakeKubeAPI]:
    with serve_for(service_account) as running:
        yield running


def test_creates_the_secret_when_absent(
    job_container: dict, api: FakeKubeAPI, service_account: Path
) -> None:
    result = run_hook_script(job_container, api, service_account)
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
    assert run_hook_script(job_container, api, service_account).returncode == 0
    first = json.dumps(api.secrets[(NAMESPACE, SECRET)], sort_keys=True)
    result = run_hook_script(job_container, api, service_account)
    assert result.returncode == 0, result.stderr
    assert "exists: kept" in result.stdout
    assert json.dumps(api.secrets[(NAMESPACE, SECRET)], sort_keys=True) == first
    assert [m for m, _ in api.requests] == ["GET", "POST", "GET"]


def test_a_concurrent_creation_wins(
    job_container: dict, api: FakeKubeAPI, service_account: Path
) -> None:
    api.fail["POST"] = 409
    result = run_hook_script(job_container, api, service_account)
    assert result.returncode == 0, result.stderr
    assert "kept" in result.stdout


def test_fails_when_not_allowed(
    job_container: dict, api: FakeKubeAPI, service_account: Path
) -> None:
    api.fail["GET"] = 403
    result = run_hook_script(job_container, api, service_account)
    assert result.returncode != 0
    assert "403" in result.stderr
    assert not api.secrets
