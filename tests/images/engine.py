"""A thin, bounded wrapper around the container engine CLI (podman here, docker on CI runners)."""

from __future__ import annotations

import json
import os
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
ENGINE = os.environ.get("CONTAINER_ENGINE", "podman")
IMAGE_PREFIX = os.environ.get("IMAGE_PREFIX", "localhost/")
IMAGE_TAG = os.environ.get("IMAGE_TAG", "dev")
APPS = ("flask", "fastapi")
# What Kubernetes/OpenShift's restricted profile gives a pod: an arbitrary UID in group 0, no
# capabilities, no privilege escalation, a read-only root, empty writable scratch directories.
RESTRICTED = [
    "--user=1000570000:0",
    "--read-only",
    "--cap-drop=ALL",
    "--security-opt=no-new-privileges",
]
if ENGINE == "podman":
    # Only what is given below is writable (podman otherwise adds its own /tmp, /run, /var/tmp);
    # empty like an emptyDir (podman would copy the image's /tmp into the tmpfs, umask-ed).
    RESTRICTED.append("--read-only-tmpfs=false")
    _TMPFS_OPTIONS = "rw,notmpcopyup,mode=1777"
else:
    _TMPFS_OPTIONS = "rw,mode=1777"
SCRATCH = [f"--tmpfs=/tmp:{_TMPFS_OPTIONS}", f"--tmpfs=/tmp/prometheus-multiproc:{_TMPFS_OPTIONS}"]
# podman settings this host needs (runc, allowed ulimits), as `make images` uses them.
ENV = {
    **os.environ,
    "CONTAINERS_CONF": str(
        (ROOT / os.environ.get("CONTAINERS_CONF", "scripts/podman/containers.conf")).resolve()
    ),
}
# Generous bound for a single engine command (a run of `migrate` included), not a timed assert.
COMMAND_TIMEOUT = 180


def image(app: str) -> str:
    return f"{IMAGE_PREFIX}meatyapis-{app}:{IMAGE_TAG}"


def engine(*args: str, check: bool = True, timeout: float = COMMAND_TIMEOUT) -> str:
    """Run `<engine> args…`, return stdout (stderr folded in on failure)."""
    result = subprocess.run(
        [ENGINE, *args], capture_output=True, text=True, timeout=timeout, check=False, env=ENV
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"{ENGINE} {' '.join(args)} exited {result.returncode}:\n"
            f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
        )
    return result.stdout


def _combined(*args: str) -> subprocess.CompletedProcess[str]:
    """`<engine> args…` with stdout and stderr captured together, never raising."""
    return subprocess.run(
        [ENGINE, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=COMMAND_TIMEOUT,
        check=False,
        env=ENV,
    )


def run_once(*args: str) -> subprocess.CompletedProcess[str]:
    """`<engine> run --rm args…`, output captured (stdout and stderr together)."""
    return _combined("run", "--rm", *args)


def inspect_image(name: str) -> dict[str, Any]:
    data: list[dict[str, Any]] = json.loads(engine("image", "inspect", name))
    return data[0]


@contextmanager
def volume() -> Iterator[str]:
    """A fresh named volume (like a new PVC), removed afterwards."""
    name = f"meatyapis-test-{uuid.uuid4().hex[:12]}"
    engine("volume", "create", name)
    try:
        yield name
    finally:
        engine("volume", "rm", "--force", name, check=False)


@dataclass
class Container:
    name: str

    def logs(self) -> str:
        return _combined("logs", self.name).stdout

    def state(self) -> dict[str, Any]:
        data: list[dict[str, Any]] = json.loads(engine("container", "inspect", self.name))
        state: dict[str, Any] = data[0]["State"]
        return state

    def stop(self, grace_seconds: int) -> None:
        engine("stop", "--time", str(grace_seconds), self.name, timeout=grace_seconds + 60)


@contextmanager
def detached(*args: str) -> Iterator[Container]:
    """`<engine> run --detach args…`; the container is removed afterwards whatever happens."""
    name = f"meatyapis-test-{uuid.uuid4().hex[:12]}"
    engine("run", "--detach", f"--name={name}", *args)
    try:
        yield Container(name)
    finally:
        engine("rm", "--force", *(["--time=0"] if ENGINE == "podman" else []), name, check=False)
