"""The Grafana admin Secret hook Job's script, taken from the rendered chart, against a fake API
server: it creates the Secret once (user name given, password random) and never replaces it.
The script is the meatyapis-common library's (tests/charts/test_meatyapis_common.py)."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.charts.fake_kube_api import (
    FakeKubeAPI,
    make_service_account,
    run_hook_script,
    serve_for,
)
from tests.charts.monitoring import GRAFANA, NAMESPACE, container, objects
from tests.charts.render import find_object

SECRET = f"{GRAFANA}-admin"


@pytest.fixture(scope="module")
def job_container() -> dict[str, Any]:
    return container(find_object(objects(), "Job", f"{GRAFANA}-admin-secret"), "generate")


@pytest.fixture(scope="module")
def service_account(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_service_account(tmp_path_factory.mktemp("serviceaccount"), NAMESPACE)


@pytest.fixture
def api(service_account: Path) -> Iterator[FakeKubeAPI]:
    with serve_for(service_account) as running:
        yield running


def test_creates_the_admin_secret_once(
    job_container: dict[str, Any], api: FakeKubeAPI, service_account: Path
) -> None:
    result = run_hook_script(job_container, api, service_account)
    assert result.returncode == 0, result.stderr
    secret = api.secrets[(NAMESPACE, SECRET)]
    data = {k: base64.b64decode(v).decode() for k, v in secret["data"].items()}
    assert data["admin-user"] == "admin"
    assert len(data["admin-password"]) >= 32
    assert secret["metadata"]["labels"]["app.kubernetes.io/component"] == "grafana-admin"
    first = json.dumps(secret, sort_keys=True)
    again = run_hook_script(job_container, api, service_account)
    assert again.returncode == 0, again.stderr
    assert "exists: kept" in again.stdout
    assert json.dumps(api.secrets[(NAMESPACE, SECRET)], sort_keys=True) == first
