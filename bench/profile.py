"""Where a worker's time goes: py-spy samples one worker while wrk drives an endpoint.

`uv run --frozen python -m bench.profile flask|fastapi [path] [--metrics off]` prints the
functions with the most samples (self and total), so a missed target can be traced to a cause.
"""

from __future__ import annotations

import argparse
import collections
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

from bench import services, wrk
from bench.procfs import tree_pids

SECONDS = 10


def profile(app: str, path: str, metrics: bool, top: int) -> str:
    work = Path(tempfile.mkdtemp(prefix="meatyapis-profile-"))
    if app == "flask":
        db = services.flask_database(work / "db")
        product = services.seed_product(db)
        path = path.replace("<id>", str(product))
        server = services.flask_gunicorn(
            "flask", work, services.flask_env(work, db, workers=1, metrics=metrics)
        )
    else:
        db = services.fastapi_database(work / "db")
        server = services.fastapi_gunicorn(
            "fastapi", work, services.fastapi_env(work, db, workers=1, metrics=metrics)
        )
    raw = work / "stacks.txt"
    with server:
        headers: list[str] = []
        if app == "fastapi" and path == "/users/me":
            headers = [f"Authorization: Bearer {services.register_and_login(server)}"]
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
    return summarize(raw.read_text(), top)


def summarize(collapsed: str, top: int) -> str:
    own: collections.Counter[str] = collections.Counter()
    total: collections.Counter[str] = collections.Counter()
    samples = 0
    for line in collapsed.splitlines():
        stack, _, count = line.rpartition(" ")
        frames = [f.split(" (")[0] + " (" + f.split(" (")[-1] for f in stack.split(";")]
        n = int(count)
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
    parser.add_argument("app", choices=["flask", "fastapi"])
    parser.add_argument("path", nargs="?", default="/hello")
    parser.add_argument("--metrics", choices=["on", "off"], default="on")
    parser.add_argument("--top", type=int, default=40)
    args = parser.parse_args()
    print(profile(args.app, args.path, args.metrics == "on", args.top))
    return 0


if __name__ == "__main__":
    sys.exit(main())
