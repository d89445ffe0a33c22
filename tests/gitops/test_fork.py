"""The README's fork command rewrites every reference to the upstream owner in deploy/: the
repository Argo CD and Flux read, the charts' OCI location and the image repositories."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import yaml

from scripts.gitops.environments import ROOT
from tests.gitops.manifests import DEPLOY

UPSTREAM = re.compile(r"github\.com/meatyapis/|ghcr\.io/meatyapis/|repository: meatyapis/")


def fork_command() -> str:
    readme = (ROOT / "README.md").read_text()
    (command,) = re.findall(r"`(grep -rl [^`]+)`", readme)
    return str(command)


def test_the_fork_command_leaves_no_upstream_owner_in_deploy(tmp_path: Path) -> None:
    shutil.copytree(DEPLOY, tmp_path / "deploy")
    assert any(UPSTREAM.search(p.read_text()) for p in (tmp_path / "deploy").rglob("*.yaml"))
    subprocess.run(["bash", "-c", fork_command()], cwd=tmp_path, check=True, timeout=60)
    for path in (tmp_path / "deploy").rglob("*.yaml"):
        text = path.read_text()
        assert not UPSTREAM.search(text), path
        assert list(yaml.safe_load_all(text))
    appset = (tmp_path / "deploy/argocd/applicationset.yaml").read_text()
    assert "https://github.com/you/meatyapis.git" in appset
    assert "oci://ghcr.io/you/charts/meatyapis" in (tmp_path / "deploy/base/flux.yaml").read_text()
    assert (
        "repository: you/meatyapis-flask" in (tmp_path / "deploy/base/meatyapis.yaml").read_text()
    )
