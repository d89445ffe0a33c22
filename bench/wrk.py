"""Run Debian's `wrk` against 127.0.0.1 and read its results (lua/report.lua prints them)."""

from __future__ import annotations

import json
import shlex
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

LUA_DIR = Path(__file__).parent / "lua"
RESULT_MARKER = "WRK_RESULT "


@dataclass(frozen=True)
class WrkResult:
    requests: int
    seconds: float
    errors: dict[str, int]
    latency_ms: dict[str, float]
    statuses: dict[int, int] = field(default_factory=dict)
    command: str = ""
    server_cpu_s: float | None = None  # CPU the server's process tree used meanwhile

    @property
    def cpu_us_per_request(self) -> float:
        assert self.server_cpu_s is not None
        assert self.requests
        return self.server_cpu_s / self.requests * 1e6

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def socket_errors(self) -> int:
        return sum(self.errors[k] for k in ("connect", "read", "write", "timeout"))

    @property
    def failures(self) -> int:
        """wrk's own failure count: non-2xx/3xx responses plus every socket error."""
        return self.errors["status"] + self.socket_errors

    def summary(self) -> str:
        statuses = ", ".join(f"{s}: {n}" for s, n in sorted(self.statuses.items()))
        return (
            f"requests={self.requests} rps={self.rps:.0f} p50={self.latency_ms['p50']:.1f}ms "
            f"p99={self.latency_ms['p99']:.1f}ms errors={self.errors} statuses={{{statuses}}}"
        )


def parse(output: str, command: str = "") -> WrkResult:
    for line in output.splitlines():
        if line.startswith(RESULT_MARKER):
            raw = json.loads(line.removeprefix(RESULT_MARKER))
            return WrkResult(
                requests=int(raw["requests"]),
                seconds=raw["duration_us"] / 1e6,
                errors={k: int(v) for k, v in raw["errors"].items()},
                latency_ms={k: v / 1000 for k, v in raw["latency_us"].items()},
                statuses={int(k): int(v) for k, v in raw["statuses"].items()},
                command=command,
            )
    raise RuntimeError(f"no wrk result in its output:\n{output[-2000:]}")


def script(*, statuses: bool = False, extra_lua: str = "") -> Path:
    """A wrk script: optional request generator, optional per-status counts, the report."""
    parts = [extra_lua]
    if statuses:
        parts.append((LUA_DIR / "statuses.lua").read_text())
    parts.append((LUA_DIR / "report.lua").read_text())
    handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 - wrk reads it after we return
        "w", prefix="meatyapis-wrk-", suffix=".lua", delete=False
    )
    with handle:
        handle.write("\n".join(parts))
    return Path(handle.name)


def command(
    url: str,
    *,
    seconds: float,
    connections: int = 32,
    threads: int = 2,
    timeout: float = 2.0,
    headers: Sequence[str] = (),
    script_path: Path,
) -> list[str]:
    assert url.startswith("http://127.0.0.1:"), f"wrk only ever targets 127.0.0.1: {url}"
    argv = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds:g}s", f"--timeout={timeout:g}s"]
    for header in headers:
        argv += ["-H", header]
    return [*argv, "-s", str(script_path), url]


def run(url: str, *, seconds: float, statuses: bool = False, **options: object) -> WrkResult:
    """Run wrk to completion (bounded: wrk stops itself after `seconds`)."""
    with Background(url, seconds=seconds, statuses=statuses, **options) as load:
        return load.result()


class Background:
    """wrk running in the background while a test does something else (a restart, an outage)."""

    def __init__(self, url: str, *, seconds: float, **options: object) -> None:
        self.seconds = seconds
        self._path = script(
            statuses=bool(options.pop("statuses", True)),
            extra_lua=str(options.pop("extra_lua", "")),
        )
        self.argv = command(url, seconds=seconds, script_path=self._path, **options)  # type: ignore[arg-type]
        self._proc: subprocess.Popen[str] | None = None

    def __enter__(self) -> Background:
        self._proc = subprocess.Popen(
            self.argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        return self

    def result(self) -> WrkResult:
        assert self._proc is not None
        out, _ = self._proc.communicate(timeout=self.seconds + 60)
        return parse(out, shlex.join(self.argv).replace(str(self._path), "<script>.lua"))

    def __exit__(self, *exc: object) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait(timeout=10)
        self._path.unlink(missing_ok=True)
