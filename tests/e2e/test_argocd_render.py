"""tests/e2e/argocd.sh checked without a cluster: `argocd.sh --render` builds the repository the
kind run serves to Argo CD and writes the Argo CD objects deploy/argocd/bootstrap.sh would apply;
these tests check that staging there runs the images under test at the checkout's chart
versions, that the release tags Argo CD checks the charts out at exist, and that Argo CD reads
only that repository, for staging only."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.charts import quality

ROOT = Path(__file__).resolve().parents[2]
FLASK = "sha256:" + "1" * 64
FASTAPI = "sha256:" + "2" * 64
SERVED = "git://127.0.0.1:9418/meatyapis.git"


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("argocd-render")
    env = {**os.environ, "FLASK_DIGEST": FLASK, "FASTAPI_DIGEST": FASTAPI}
    result = subprocess.run(
        ["bash", "tests/e2e/argocd.sh", "--render", str(out)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=240, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    return out


def show(out: Path, ref: str, path: str) -> str:
    return subprocess.run(
        ["git", "--git-dir", str(out / "git" / "meatyapis.git"), "show", f"{ref}:{path}"],
        capture_output=True, text=True, timeout=60, check=True,
    ).stdout  # fmt: skip


def chart_version(chart: str) -> str:
    return str(yaml.safe_load((ROOT / "charts" / chart / "Chart.yaml").read_text())["version"])


def documents(path: Path) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d]


def test_served_staging_runs_the_images_under_test(out: Path) -> None:
    values = yaml.safe_load(show(out, "main", "deploy/environments/staging/meatyapis.yaml"))
    assert values["flask"]["image"]["digest"] == FLASK
    assert values["fastapi"]["image"]["digest"] == FASTAPI
    release = yaml.safe_load(show(out, "main", "deploy/environments/staging/release.yaml"))
    assert release["data"] == {c: chart_version(c) for c in ("meatyapis", "monitoring")}


@pytest.mark.parametrize("chart", ["meatyapis", "monitoring"])
def test_the_release_tags_argo_cd_checks_out_exist(out: Path, chart: str) -> None:
    tagged = show(out, f"{chart}-{chart_version(chart)}", f"charts/{chart}/Chart.yaml")
    assert yaml.safe_load(tagged)["version"] == chart_version(chart)


def test_argo_cd_reads_only_the_served_repository_for_staging(out: Path) -> None:
    project, appset = documents(out / "argocd" / "argocd.yaml")
    assert project["spec"]["sourceRepos"] == [SERVED]
    files = appset["spec"]["generators"][0]["matrix"]["generators"][0]["git"]
    assert files == {
        "repoURL": SERVED,
        "revision": "main",
        "files": [{"path": "deploy/environments/staging/release.yaml"}],
    }
    sources = appset["spec"]["template"]["spec"]["sources"]
    assert [s["repoURL"] for s in sources] == [SERVED, SERVED]
    assert "github.com" not in (out / "argocd" / "argocd.yaml").read_text()
    assert quality.custom_resource_errors([project, appset]) == []


def test_the_cluster_is_registered_as_staging(out: Path) -> None:
    (secret,) = documents(out / "argocd" / "cluster-secret.yaml")
    assert secret["metadata"]["labels"] == {"argocd.argoproj.io/secret-type": "cluster"}
    assert secret["stringData"] == {"name": "staging", "server": "https://kubernetes.default.svc"}
