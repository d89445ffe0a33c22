"""`make run` as a person runs it: the banner, its example commands pasted into a shell, Ctrl-C.

The installs `make run` starts with are no-ops here (`.ci/run` installed everything before), so
this also checks that they stay quiet and quick to pass. The ports and the run folder are the
overridable ones, so the test runs beside anything else on the machine.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.support.net import HOST, free_port, http_status

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
BANNER_END = "Press Ctrl-C to stop."
PORTS = (
    "FLASK_PORT",
    "FASTAPI_PORT",
    "FLASK_METRICS_PORT",
    "FASTAPI_METRICS_PORT",
    "PROMETHEUS_PORT",
)
START_TIMEOUT = 180  # seconds: a bound for a hung start, not a speed target
STOP_TIMEOUT = 45


@dataclass
class Run:
    proc: subprocess.Popen[str]
    ports: dict[str, int]
    run_dir: Path
    output: list[str]


def read_until_banner(proc: subprocess.Popen[str]) -> list[str]:
    assert proc.stdout is not None
    lines: list[str] = []
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break  # make run ended before its banner
        lines.append(line.rstrip("\n"))
        if line.strip() == BANNER_END:
            return lines
    raise AssertionError("no banner from make run:\n" + "\n".join(lines))


@pytest.fixture(scope="module")
def make_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    run_dir = tmp_path_factory.mktemp("make-run")
    ports = {name: free_port() for name in PORTS}
    env = {**os.environ, **{k: str(v) for k, v in ports.items()}, "RUN_DIR": str(run_dir)}
    env.pop("MAKEFLAGS", None)
    proc = subprocess.Popen(
        ["make", "run"],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        text=True,
        start_new_session=True,  # its own process group, as a terminal gives it
    )
    try:
        yield Run(proc, ports, run_dir, read_until_banner(proc))
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


def test_the_terminal_shows_the_banner_not_the_logs(make_run: Run) -> None:
    text = "\n".join(make_run.output)
    assert f"logs in {make_run.run_dir}/" in text
    for name in PORTS:
        assert f"http://{HOST}:{make_run.ports[name]}/" in text
    assert f"admin (password in {make_run.run_dir}/admin-password)" in text
    admin_password = make_run.run_dir / "admin-password"
    assert admin_password.stat().st_mode & 0o077 == 0  # the run folder's owner only
    assert admin_password.read_text().strip() not in text
    # No JSON log line (services, migrations) reached the terminal; they are in the run folder.
    assert [line for line in make_run.output if line.lstrip().startswith("{")] == []
    for log in ("flask.log", "fastapi.log", "prometheus.log"):
        assert (make_run.run_dir / log).stat().st_size > 0, log
    assert "Running upgrade" in (make_run.run_dir / "flask.log").read_text()


def test_the_banner_urls_answer(make_run: Run) -> None:
    flask, fastapi = make_run.ports["FLASK_PORT"], make_run.ports["FASTAPI_PORT"]
    for url in (
        f"http://{HOST}:{flask}/",
        f"http://{HOST}:{flask}/docs",
        f"http://{HOST}:{fastapi}/docs",
        f"http://{HOST}:{make_run.ports['PROMETHEUS_PORT']}/-/ready",
        f"http://{HOST}:{make_run.ports['FLASK_METRICS_PORT']}/metrics",
        f"http://{HOST}:{make_run.ports['FASTAPI_METRICS_PORT']}/metrics",
    ):
        assert http_status(url) == 200, url
    # The API ports do not serve /metrics; Prometheus scrapes the metrics ports.
    assert http_status(f"http://{HOST}:{flask}/metrics") == 404


def test_the_example_commands_work_when_pasted_into_a_shell(make_run: Run) -> None:
    start = make_run.output.index(next(line for line in make_run.output if line.startswith("Try")))
    commands = [line.strip() for line in make_run.output[start + 1 :] if line.startswith("  ")]
    assert len(commands) == 4, commands
    script = "set -euo pipefail\n" + "\n".join(commands)
    done = subprocess.run(
        ["bash", "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    registered, product = json_objects(done.stdout)
    assert registered["username"] == "ada"
    assert "ada: reader -> editor" in done.stdout
    assert product["name"] == "Ribeye"
    assert product["created_by"] == "ada"
    created = httpx.get(f"http://{HOST}:{make_run.ports['FLASK_PORT']}/products/{product['id']}")
    assert created.status_code == 200


def json_objects(text: str) -> list[dict[str, object]]:
    """The JSON objects in `text` (curl's answers, with the command's own line between)."""
    decoder, found, at = json.JSONDecoder(), [], 0
    while (start := text.find("{", at)) != -1:
        value, at = decoder.raw_decode(text, start)
        found.append(value)
    return found


def test_ctrl_c_stops_everything_and_frees_the_ports(make_run: Run) -> None:
    os.killpg(make_run.proc.pid, signal.SIGINT)  # what Ctrl-C in the terminal sends
    make_run.proc.wait(timeout=STOP_TIMEOUT)
    assert make_run.proc.stdout is not None
    rest = make_run.proc.stdout.read()
    assert "stopped" in rest
    for name, port in make_run.ports.items():
        assert http_status(f"http://{HOST}:{port}/", timeout=1) is None, name
    with pytest.raises(ProcessLookupError):
        os.killpg(make_run.proc.pid, 0)  # no process of the group is left
