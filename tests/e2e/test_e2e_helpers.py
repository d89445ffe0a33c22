"""The pieces of tests/e2e/kind.sh that run without a cluster: the load generator against a real
HTTP server on 127.0.0.1, and the checks on Prometheus, Grafana and load reports."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.support.processes import wait_until

HERE = Path(__file__).parent
ROOT = HERE.parents[1]


def check(args: list[str], payload: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(HERE / "check.py"), *args],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def target(service: str, health: str, namespace: str = "meatyapis") -> dict[str, object]:
    return {
        "discoveredLabels": {"__meta_kubernetes_namespace": namespace},
        "labels": {"service": service},
        "scrapeUrl": f"http://10.0.0.1:8080/metrics#{service}",
        "health": health,
        "lastError": "" if health == "up" else "connection refused",
    }


def targets(*items: dict[str, object]) -> dict[str, object]:
    return {"data": {"activeTargets": list(items)}}


def test_prometheus_targets_check() -> None:
    both_up = targets(target("meatyapis-flask", "up"), target("meatyapis-fastapi", "up"))
    assert check(["prometheus-targets", "meatyapis"], both_up).returncode == 0
    one_down = targets(target("meatyapis-flask", "up"), target("meatyapis-fastapi", "down"))
    result = check(["prometheus-targets", "meatyapis"], one_down)
    assert result.returncode == 1
    assert "connection refused" in result.stderr
    other_namespace = targets(
        target("meatyapis-flask", "up"), target("meatyapis-fastapi", "up", namespace="elsewhere")
    )
    result = check(["prometheus-targets", "meatyapis"], other_namespace)
    assert result.returncode == 1
    assert "no target for meatyapis-fastapi" in result.stderr


def test_grafana_dashboards_check() -> None:
    directory = ROOT / "grafana" / "dashboards"
    titles = [json.loads(p.read_text())["title"] for p in directory.glob("*.json")]
    assert titles
    listed = [{"title": t, "type": "dash-db"} for t in titles]
    assert check(["grafana-dashboards", str(directory)], listed).returncode == 0
    result = check(["grafana-dashboards", str(directory)], listed[1:])
    assert result.returncode == 1
    assert f"dashboard not listed: {titles[0]}" in result.stderr


def test_load_report_check() -> None:
    good = {"ok": 500, "failed": 0, "errors": {}, "seconds": 60.0, "stopped": True}
    assert check(["load-report"], good).returncode == 0
    for bad in (
        {**good, "failed": 1, "errors": {"x HTTP 502": 1}},
        {**good, "ok": 3},
        {**good, "stopped": False},
    ):
        assert check(["load-report"], bad).returncode == 1, bad


class _Handler(BaseHTTPRequestHandler):
    hits = 0

    def do_GET(self) -> None:
        type(self).hits += 1
        status = 200 if self.path == "/ok" else 503
        self.send_response(status)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def http_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def run_load(tmp_path: Path, urls: list[str]) -> dict[str, object]:
    stop = tmp_path / "stop"
    process = subprocess.Popen(
        [sys.executable, str(HERE / "load.py")],
        env={"TARGETS": " ".join(urls), "STOP_FILE": str(stop), "MAX_SECONDS": "120"},
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert wait_until(lambda: _Handler.hits >= 20, timeout=60), "the load never arrived"
        stop.touch()
        out, _ = process.communicate(timeout=60)
    finally:
        process.kill()
    report: dict[str, object] = json.loads(out.strip().splitlines()[-1])
    return report


def test_load_generator_counts_successes_and_failures(tmp_path: Path, http_server: str) -> None:
    report = run_load(tmp_path, [f"{http_server}/ok", f"{http_server}/fail"])
    assert report["stopped"] is True
    assert isinstance(report["ok"], int)
    assert report["ok"] > 0
    assert report["failed"] == report["ok"]  # one failing URL for each succeeding one
    assert f"{http_server}/fail HTTP 503" in report["errors"]  # type: ignore[operator]
    assert check(["load-report"], report).returncode == 1
