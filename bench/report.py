"""results.md: the sections as they are measured, the targets met or missed with py-spy profiles
of each missed one, the commands, and the notes."""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bench import profile

RESULTS = Path(__file__).with_name("results.md")


@dataclass
class Report:
    sections: list[str] = field(default_factory=list)
    commands: set[str] = field(default_factory=set)
    verdicts: list[Verdict] = field(default_factory=list)
    profiles: dict[str, list[tuple[str, profile.Profile]]] = field(default_factory=dict)

    def table(self, title: str, header: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
        lines = [f"## {title}", "", "| " + " | ".join(header) + " |"]
        lines.append("|" + "|".join("---" for _ in header) + "|")
        lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
        text = "\n".join(lines) + "\n"
        print(text, flush=True)
        self.sections.append(text)

    def note(self, text: str) -> None:
        print(text, flush=True)
        self.sections.append(text + "\n")


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


@dataclass
class Verdict:
    """One target of results.md: a ratio of medians, its per-round ratios, met or not."""

    target: str
    ratio: float
    goal: float
    rounds: list[float]
    detail: str = ""
    profile: tuple[str, str, str] | None = None  # (app, bare counterpart, path) when missed

    @property
    def met(self) -> bool:
        return self.ratio >= self.goal


def trace_missed(report: Report) -> None:
    """py-spy profiles (bench/profile.py) of each missed target's service and counterpart."""
    done: dict[tuple[str, str, bool], profile.Profile] = {}
    for verdict in report.verdicts:
        if verdict.met or verdict.profile is None:
            continue
        app, counterpart, path = verdict.profile
        sides = [
            (app, path, True),
            (counterpart, path, True) if counterpart else (app, path, False),
        ]
        for side in sides:
            if side not in done:
                log(f"profiling {side}")
                done[side] = profile.profile(*side)
        report.profiles[verdict.target] = [
            (f"{side[0]}{'' if side[2] else ' (metrics off)'}", done[side]) for side in sides
        ]


def targets_section(report: Report) -> list[str]:
    lines = [
        "## Targets",
        "",
        "| target | measured | rounds (A/B in each round) | verdict | p99 and CPU per request |",
        "|---|---|---|---|---|",
    ]
    for v in report.verdicts:
        rounds = " ".join(f"{r:.2f}" for r in v.rounds)
        verdict = "met" if v.met else "MISSED"
        lines.append(f"| {v.target} | **{v.ratio:.2f}** | {rounds} | {verdict} | {v.detail} |")
    lines.append("")
    for target, sides in report.profiles.items():
        samples = " / ".join(f"{name}: {p.samples}" for name, p in sides)
        lines += [
            f"### Where the time goes: {target} (missed)",
            "",
            "py-spy, one worker under wrk: the share of the samples of the thread holding the "
            f"GIL per component ({samples} samples):",
            "",
            "| component | " + " | ".join(name for name, _ in sides) + " |",
            "|---" * (len(sides) + 1) + "|",
        ]
        names = list(dict.fromkeys(c for _, p in sides for c, _ in p.components))
        shares = [dict(p.components) for _, p in sides]
        for component in names:
            cells = " | ".join(f"{share.get(component, 0.0):.1f}" for share in shares)
            lines.append(f"| {component} | {cells} |")
        lines.append("")
    return lines


def write_results(report: Report, started: float, env_text: str) -> None:
    server_commands = [
        "Flask, repo config: `meatyapis-flask serve` (= `python -m gunicorn --config "
        "python:meatyapis_flask.gunicorn_conf`)",
        "Flask, source way: `python bench/flask_devserver.py` (`create_app().run(threaded=True)`)",
        "FastAPI, repo config: `meatyapis-fastapi serve` (= `python -m gunicorn --config "
        "python:meatyapis_fastapi.gunicorn_conf`)",
        "FastAPI, source way: `python -m uvicorn meatyapis_fastapi.asgi:app --host 127.0.0.1 "
        "--port <port> --no-access-log`",
        "Ceiling: `python -m gunicorn --config python:meatyapis_fastapi.gunicorn_conf "
        "bench.raw_asgi:app`",
        "Bare frameworks: `python -m gunicorn --config python:meatyapis_<app>.gunicorn_conf "
        "bench.bare_<app>:app` (the service's own server config, worker class and hooks)",
        "Pods of one worker: `meatyapis-<app> serve` with WEB_CONCURRENCY=1",
        "Profiles: `uv run --frozen python -m bench.profile <app> <path>` (py-spy, one worker)",
        "Per-request costs: `uv run --frozen python -m bench.costs` (in one process)",
        "Environment of every server: PORT, BIND_HOST=127.0.0.1, WEB_CONCURRENCY, DATABASE_URL "
        "(sqlite), PROMETHEUS_MULTIPROC_DIR, METRICS_ENABLED, LOG_LEVEL=INFO; FastAPI also "
        "TOKEN_SECRET; the comparisons MAX_REQUESTS=0, the recycling run "
        "MAX_REQUESTS/MAX_REQUESTS_JITTER",
    ]
    text = [
        "# Benchmark results",
        "",
        "Written by `make bench` (`uv run --frozen python -m bench.run`); numbers from one run on "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime(started))}, "
        f"{(time.time() - started) / 60:.1f} min.",
        "",
        env_text,
        "",
        *report.sections,
        *targets_section(report),
        "## Commands",
        "",
        *[f"- {c}" for c in server_commands],
        "- wrk:",
        "",
        "```",
        *sorted(report.commands),
        "```",
        "",
    ]
    notes = Path(__file__).with_name("notes.md")
    if notes.exists():
        text += [notes.read_text()]
    RESULTS.write_text("\n".join(text))
    log(f"wrote {RESULTS}")
