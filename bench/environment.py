"""The machine, the package versions and the load settings a run was measured with."""

from __future__ import annotations

import importlib.metadata
import os
import platform
import subprocess
from pathlib import Path

from bench.rounds import CONNECTIONS, ROUNDS, SECONDS, THREADS, WORKERS

PACKAGES = (
    "flask", "werkzeug", "gunicorn", "fastapi", "starlette", "uvicorn", "uvicorn-worker",
    "uvloop", "httptools", "sqlalchemy", "prometheus-client", "prometheus-flask-exporter",
    "prometheus-fastapi-instrumentator",
)  # fmt: skip


def environment() -> str:
    versions = []
    for package in PACKAGES:
        try:
            versions.append(f"{package} {importlib.metadata.version(package)}")
        except importlib.metadata.PackageNotFoundError:
            versions.append(f"{package} (not installed)")
    wrk_version = subprocess.run(
        ["wrk", "-v"], capture_output=True, text=True, check=False
    ).stdout.splitlines()[0]
    cpu = next(
        (line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
         if line.startswith("model name")),
        platform.processor(),
    )  # fmt: skip
    return "\n".join(
        [
            f"- Machine: {os.cpu_count()} cores ({cpu}), {platform.system()} {platform.release()}; "
            f"load average at start {os.getloadavg()[0]:.2f} (the CPU is shared with wrk and "
            "with whatever else runs: compare ratios, not absolute numbers)",
            f"- Python {platform.python_version()}; {'; '.join(versions)}",
            f"- {wrk_version}",
            f"- wrk: {THREADS} threads, {CONNECTIONS} connections, {ROUNDS} rounds x "
            f"{SECONDS:g} s per target after a 2 s warm-up, alternating order; medians",
            f"- Servers: {WORKERS} workers each unless noted (gthread with 4 threads for Flask), "
            "SQLite databases in a temporary folder, LOG_LEVEL=INFO (one JSON access line per "
            "request, as in production)",
        ]
    )
