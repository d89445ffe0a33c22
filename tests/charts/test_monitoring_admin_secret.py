"""The Grafana admin Secret hook Job's script, taken from the rendered chart, against a fake API
server: it creates the Secret once (user name given, password random) and never replaces it.
The script is the meatyapis chart's generic one; the copy must stay identical."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.charts.fake_kube_api import HOST, FakeKubeAPI, make_certificate, serve
from tests.charts.monitoring import CHART_DIR, GRAFANA, NAMESPACE, container, objects
from tests.charts.render import CHARTS_DIR, find_object

SCRIPT = Path("files/scripts/create-secret-once.py")
SECRET = f"{GRAFANA}-admin"


def test_script_is_a_copy_of_the_meatyapis_charts() -> None:
    copy = CHART_DIR / SCRIPT
    assert not copy.is_symlink()
    assert copy.read_bytes() == (CHARTS_DIR / "meatyapis" / SCRIPT).read_bytes()


@pytest.fixture(scope="module")
def job_container() -> dict[str, Any]:
    return container(find_object(objects(), "Job", f"{GRAFANA}-admin-secret"), "generate")


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


def run_job(job: dict[str, Any], api: FakeKubeAPI, sa: Path) -> subprocess.CompletedProcess[str]:
    assert job["command"][:2] == ["python3", "-c"]
    env = {e["name"]: e["value"] for e in job["env"]}
    env |= {"KUBERNETES_SERVICE_HOST": HOST, "KUBERNETES_SERVICE_PORT": str(api.port),
            "SERVICEACCOUNT_DIR": str(sa), "PATH": os.environ["PATH"]}  # fmt: skip
    return subprocess.run(
        [sys.executable, "-c", job["command"][2]], env=env, capture_output=True, text=True,
        timeout=60, check=False,
    )  # fmt: skip


def test_creates_the_admin_secret_once(
    job_container: dict[str, Any], api: FakeKubeAPI, service_account: Path
) -> None:
    result = run_job(job_container, api, service_account)
    assert result.returncode == 0, result.stderr
    secret = api.secrets[(NAMESPACE, SECRET)]
    data = {k: base64.b64decode(v).decode() for k, v in secret["data"].items()}
    assert data["admin-user"] == "admin"
    assert len(data["admin-password"]) >= 32
    assert secret["metadata"]["labels"]["app.kubernetes.io/component"] == "grafana-admin"
    first = json.dumps(secret, sort_keys=True)
    again = run_job(job_container, api, service_account)
    assert again.returncode == 0, again.stderr
    assert "exists: kept" in again.stdout
    assert json.dumps(api.secrets[(NAMESPACE, SECRET)], sort_keys=True) == first
