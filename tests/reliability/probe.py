"""A client-side view of a restart: every request on its own connection, with its own
X-Request-ID, classified by what happened to it. The server's access log then tells which of
the requests that got no answer had been accepted (read and handled) by a worker."""

from __future__ import annotations

import http.client
import json
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from tests.support.net import HOST

CLIENTS = 4
MAX_REQUESTS_PER_CLIENT = 5_000
REFUSED_STREAK_TO_STOP = 20


@dataclass
class ProbeResult:
    outcomes: Counter[str] = field(default_factory=Counter)  # ok, 5xx, refused, broken
    broken_ids: list[str] = field(default_factory=list)  # sent, but no complete answer
    latencies_ms: list[float] = field(default_factory=list)

    @property
    def requests(self) -> int:
        return sum(self.outcomes.values())

    def p99_ms(self) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] if ordered else 0.0


def _client(port: int, path: str, name: str, stop: threading.Event, until: float) -> ProbeResult:
    result = ProbeResult()
    refused_streak = 0
    for n in range(MAX_REQUESTS_PER_CLIENT):
        if stop.is_set() or time.monotonic() > until or refused_streak >= REFUSED_STREAK_TO_STOP:
            break
        request_id = f"probe-{name}-{n}"
        connection = http.client.HTTPConnection(HOST, port, timeout=10)
        started = time.perf_counter()
        try:
            connection.connect()
        except ConnectionRefusedError:
            result.outcomes["refused"] += 1
            refused_streak += 1
            time.sleep(0.05)
            continue
        refused_streak = 0
        try:
            connection.request(
                "GET", path, headers={"X-Request-ID": request_id, "Connection": "close"}
            )
            response = connection.getresponse()
            response.read()
        except (OSError, http.client.HTTPException):
            result.outcomes["broken"] += 1
            result.broken_ids.append(request_id)
            continue
        finally:
            connection.close()
        result.latencies_ms.append((time.perf_counter() - started) * 1000)
        result.outcomes["5xx" if response.status >= 500 else "ok"] += 1
    return result


class Probe:
    """Runs CLIENTS probing threads until stopped, `seconds` pass or the server stays gone."""

    def __init__(self, port: int, path: str, seconds: float) -> None:
        self._stop = threading.Event()
        self._pool = ThreadPoolExecutor(CLIENTS)
        until = time.monotonic() + seconds
        self._futures = [
            self._pool.submit(_client, port, path, str(i), self._stop, until)
            for i in range(CLIENTS)
        ]

    def result(self) -> ProbeResult:
        total = ProbeResult()
        for future in self._futures:
            part = future.result(timeout=120)
            total.outcomes.update(part.outcomes)
            total.broken_ids += part.broken_ids
            total.latencies_ms += part.latencies_ms
        self._pool.shutdown()
        return total

    def stop(self) -> ProbeResult:
        self._stop.set()
        return self.result()


def logged_request_ids(log_path: Path) -> set[str]:
    """Request ids the server logged (it logs one access line per request it handled)."""
    ids = set()
    for line in log_path.read_text(errors="replace").splitlines():
        if not line.startswith("{"):
            continue
        try:
            request_id = json.loads(line).get("request_id")
        except ValueError:
            continue
        if request_id:
            ids.add(request_id)
    return ids
