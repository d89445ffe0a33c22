"""Where a worker's time goes: py-spy samples one worker while wrk drives an endpoint.

`uv run --frozen python -m bench.profile flask|fastapi|bare-flask|bare-fastapi [path]
[--metrics off]` prints the share of samples per component (the innermost frame that belongs to
one: the kernel's send path, logging, the metric libraries, the framework …) and the functions
with the most samples (self and total), so a missed target can be traced to a cause. `make
bench` prints the components of every service endpoint it measures into results.md.
"""

from __future__ import annotations

import argparse
import collections
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from bench import services, wrk
from bench.procfs import tree_pids

SECONDS = 10
# A sample belongs to the first component (in this order) that its innermost frames match.
COMPONENTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("socket writes (kernel send path)", ("transport.write", "socket.send", "sock_sendall",
                                          "httptools_impl.py:524", "httptools_impl.py:551",
                                          "gthread.py", "sync.py")),
    ("access log (logging, JSON)", ("logging/__init__", "meatyapis_chassis/logs.py")),
    ("prometheus_client (metric values, mmap files)", ("prometheus_client/",)),
    ("instrumentation library", ("prometheus_fastapi_instrumentator/", "prometheus_flask_exporter/",
                                 "meatyapis_fastapi/metrics.py", "meatyapis_flask/metrics.py")),
    ("request context, method filter, body limit", ("request_context.py", "request_id.py",
                                                    "meatyapis_chassis/methods.py",
                                                    "body_limit.py", "head_as_get.py")),
    ("database (SQLAlchemy, sqlite3)", ("sqlalchemy/", "sqlite3", "meatyapis_chassis/database.py")),
    ("JWT", ("jwt/", "security.py")),
    ("thread pool hops (anyio, threading)", ("anyio/", "threading.py", "concurrent/", "queue.py")),
    ("framework (FastAPI, Starlette, pydantic)", ("fastapi/", "starlette/", "pydantic")),
    ("framework (Flask, Werkzeug)", ("flask/", "werkzeug/")),
    ("server (uvicorn, uvloop, gunicorn)", ("uvicorn", "uvloop", "gunicorn/", "http_protocol.py")),
    ("event loop (asyncio)", ("asyncio/",)),
)  # fmt: skip


@dataclass(frozen=True)
class Profile:
    samples: int
    components: list[tuple[str, float]]  # (component, % of samples), largest first
    collapsed: str


def profile(app: str, path: str, metrics: bool = True) -> Profile:
    """Sample one worker of `app` (1 worker) under wrk on `path` for SECONDS."""
    work = Path(tempfile.mkdtemp(prefix="meatyapis-profile-"))
    flask = app.endswith("flask")
    if flask:
        db = services.flask_database(work / "db")
        path = path.replace("<id>", str(services.seed_product(db)))
        env = services.flask_env(work, db, workers=1, metrics=metrics)
        server = (services.bare_flask_gunicorn if app.startswith("bare") else
                  services.flask_gunicorn)("flask", work, env)  # fmt: skip
    else:
        db = services.fastapi_database(work / "db")
        env = services.fastapi_env(work, db, workers=1, metrics=metrics)
        server = (services.bare_fastapi_gunicorn if app.startswith("bare") else
                  services.fastapi_gunicorn)("fastapi", work, env)  # fmt: skip
    raw = work / "stacks.txt"
    with server:
        headers: list[str] = []
        if path == "/users/me":
            headers = [f"Authorization: Bearer {services.seed_user(db)}"]
        worker = tree_pids(server.process.pid)[1]
        load = threading.Thread(
            target=wrk.run,
            args=(server.url + path,),
            kwargs={"seconds": SECONDS, "headers": headers},
        )
        load.start()
        subprocess.run(
            ["py-spy", "record", "--pid", str(worker), "--duration", str(SECONDS - 2),
             "--rate", "200", "--gil", "--format", "raw", "--output", str(raw), "--nonblocking"],
            check=True, capture_output=True, timeout=SECONDS + 60,
        )  # fmt: skip
        load.join(timeout=SECONDS + 60)
    collapsed = raw.read_text()
    samples, shares = components(collapsed)
    return Profile(samples, shares, collapsed)


def _stacks(collapsed: str) -> list[tuple[list[str], int]]:
    stacks = []
    for line in collapsed.splitlines():
        stack, _, count = line.rpartition(" ")
        stacks.append((stack.split(";"), int(count)))
    return stacks


def components(collapsed: str) -> tuple[int, list[tuple[str, float]]]:
    """Samples, and the share of them (%) per component, by each sample's innermost frame that
    belongs to one (none: "other")."""
    counts: collections.Counter[str] = collections.Counter()
    samples = 0
    for frames, n in _stacks(collapsed):
        samples += n
        name = "other" if any(frames) else "no Python frame (C code: uvloop, the interpreter)"
        for frame in reversed(frames):
            hit = next((c for c, marks in COMPONENTS if any(m in frame for m in marks)), None)
            if hit is not None:
                name = hit
                break
        counts[name] += n
    return samples, [(name, 100 * n / max(samples, 1)) for name, n in counts.most_common()]


def component_table(result: Profile) -> list[str]:
    lines = ["| component | % of samples |", "|---|---|"]
    lines += [f"| {name} | {share:.1f} |" for name, share in result.components]
    return lines


def summarize(collapsed: str, top: int) -> str:
    own: collections.Counter[str] = collections.Counter()
    total: collections.Counter[str] = collections.Counter()
    samples = 0
    for stack, n in _stacks(collapsed):
        frames = [f.split(" (")[0] + " (" + f.split(" (")[-1] for f in stack]
        samples += n
        own[frames[-1]] += n
        for frame in set(frames):
            total[frame] += n
    lines = [f"{samples} samples of the thread holding the GIL", ""]
    for title, ranking in (("by total", total), ("by self", own)):
        lines += [f"{title}:", "", "| self % | total % | function |", "|---|---|---|"]
        for frame, _ in ranking.most_common(top):
            lines.append(
                f"| {100 * own[frame] / samples:.1f} | {100 * total[frame] / samples:.1f} "
                f"| `{frame}` |"
            )
        lines.append("")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("app", choices=["flask", "fastapi", "bare-flask", "bare-fastapi"])
    parser.add_argument("path", nargs="?", default="/hello")
    parser.add_argument("--metrics", choices=["on", "off"], default="on")
    parser.add_argument("--top", type=int, default=40)
    args = parser.parse_args()
    result = profile(args.app, args.path, args.metrics == "on")
    print("\n".join([f"{result.samples} samples", "", *component_table(result), ""]))
    print(summarize(result.collapsed, args.top))
    return 0


if __name__ == "__main__":
    sys.exit(main())
