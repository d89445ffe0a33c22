"""The chart's configuration against the real services: both start with the environment of the
rendered ConfigMaps (migrate with that of the migrate container too: the first administrator),
and the `helm test` pod's script passes against them."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from tests.charts.meatyapis import COMPONENTS, config, objects
from tests.charts.render import find_object
from tests.support.net import HOST, free_port
from tests.support.processes import ServerProcess

pytestmark = pytest.mark.integration
VENV_BIN = Path(sys.executable).parent
ADMIN_PASSWORD = secrets.token_urlsafe(24)  # what the generated Secret would hold


def migrate_env(component: str) -> dict[str, str]:
    """The migrate init container's own variables: literal values, and the admin's password."""
    deployment = find_object(objects(), "Deployment", f"meatyapis-{component}")
    (migrate,) = deployment["spec"]["template"]["spec"]["initContainers"]
    env = {}
    for item in migrate.get("env", []):
        if item["name"] == "BOOTSTRAP_ADMIN_PASSWORD":
            assert item["valueFrom"]["secretKeyRef"]["name"] == "meatyapis-fastapi-admin"
            env[item["name"]] = ADMIN_PASSWORD
        elif "value" in item:
            env[item["name"]] = item["value"]
    return env


def service_env(component: str, tmp: Path, port: int, identity_url: str) -> dict[str, str]:
    """The rendered ConfigMap's environment, with the in-cluster paths and addresses local."""
    env = dict(config(objects(), component))
    db = "catalog" if component == "flask" else "identity"
    local = {
        "BIND_HOST": HOST,
        "PORT": str(port),
        "METRICS_PORT": str(free_port()),
        "DATABASE_URL": f"sqlite:///{tmp}/{db}.db",
        "PROMETHEUS_MULTIPROC_DIR": str(tmp / f"{component}-metrics"),
        "WORKER_TMP_DIR": str(tmp),
    }
    for key in local:
        assert key in env, key  # only values the chart sets are replaced
    env |= local
    if component == "flask":
        env["IDENTITY_URL"] = identity_url
    else:
        env["TOKEN_SECRET"] = secrets.token_urlsafe(48)
    return env


@pytest.fixture(scope="module")
def services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    tmp = tmp_path_factory.mktemp("services")
    ports = {c: free_port() for c in COMPONENTS}
    urls = {c: f"http://{HOST}:{ports[c]}" for c in COMPONENTS}
    with ExitStack() as stack:
        for component in ("fastapi", "flask"):
            env = service_env(component, tmp, ports[component], urls["fastapi"])
            (tmp / f"{component}-metrics").mkdir()
            cli = str(VENV_BIN / f"meatyapis-{component}")
            subprocess.run(
                [cli, "migrate"], env={**os.environ, **env, **migrate_env(component)}, check=True,
                timeout=120, capture_output=True,
            )  # fmt: skip
            stack.enter_context(
                ServerProcess(
                    [cli, "serve"],
                    env=env,
                    log_path=tmp / f"{component}.log",
                    ready_url=f"{urls[component]}/readyz",
                )
            )
        yield urls


def test_helm_test_script_passes_against_the_services(services: dict[str, str]) -> None:
    pod = find_object(objects(), "Pod", "meatyapis-test-round-trip")
    container = pod["spec"]["containers"][0]
    assert container["command"][:2] == ["python3", "-c"]
    given = {e["name"]: e for e in container["env"]}
    assert set(given) == {"FLASK_URL", "FASTAPI_URL", "ADMIN_USERNAME", "ADMIN_PASSWORD"}
    assert given["ADMIN_PASSWORD"]["valueFrom"]["secretKeyRef"] == {
        "name": "meatyapis-fastapi-admin", "key": "password"
    }  # fmt: skip
    env = {"FLASK_URL": services["flask"], "FASTAPI_URL": services["fastapi"],
           "ADMIN_USERNAME": given["ADMIN_USERNAME"]["value"], "ADMIN_PASSWORD": ADMIN_PASSWORD,
           "PATH": os.environ["PATH"]}  # fmt: skip
    result = subprocess.run(
        [sys.executable, "-c", container["command"][2]], env=env, capture_output=True, text=True,
        timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "reader refused (403), admin creates and deletes a product: OK" in result.stdout
