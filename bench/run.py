"""`make bench`: both services against their bare frameworks and without metrics, the serving
modes and the ASGI ceiling, one pod of several workers against single-worker pods, memory,
/metrics scrapes, the multiprocess directory under worker recycling, and start-up time —
written to results.md with every target met or missed.

Every comparison runs its servers side by side on 127.0.0.1 and drives them with wrk in
alternating order (A B, then B A, …) for several rounds; tables show medians. Tunable through
the environment: BENCH_ROUNDS (5), BENCH_SECONDS (5), BENCH_CONNECTIONS (32),
BENCH_SCRAPE_REQUESTS (100000), BENCH_SECTIONS (all: costs,frameworks,serving,deployment,
scrape,recycle,startup). A missed target is traced with py-spy (bench/profile.py) into results.md.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.deployment import deployment
from bench.environment import environment
from bench.frameworks import frameworks
from bench.report import Report, log, trace_missed, write_results
from bench.scrapes import metrics_scrapes, recycling
from bench.serving import serving
from bench.startup import start_up


def costs(report: Report, work: Path) -> None:
    """bench/costs.py, in a process of its own (it sets the multiprocess-metrics environment)."""
    run = subprocess.run(
        [sys.executable, "-m", "bench.costs"], capture_output=True, text=True, timeout=600,
        check=True, cwd=Path(__file__).parent.parent,
    )  # fmt: skip
    report.note(run.stdout.strip() + "\n")


def main() -> int:
    started = time.time()
    env_text = environment()
    print(env_text, flush=True)
    report = Report()
    with tempfile.TemporaryDirectory(prefix="meatyapis-bench-") as tmp:
        work = Path(tmp)
        sections = os.environ.get(
            "BENCH_SECTIONS", "costs,frameworks,serving,deployment,scrape,recycle,startup"
        )
        chosen = set(sections.split(","))
        for name, section in (
            ("costs", costs),
            ("frameworks", frameworks),
            ("serving", serving),
            ("deployment", deployment),
            ("scrape", metrics_scrapes),
            ("recycle", recycling),
            ("startup", start_up),
        ):
            if name in chosen:
                log(f"--- {name}")
                section(report, work)
        trace_missed(report)
    env_text += f"\n- Load average at the end: {os.getloadavg()[0]:.2f}"
    write_results(report, started, env_text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
