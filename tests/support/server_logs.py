"""The JSON lines a real server wrote to its log file, and waiting for one of them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.support.processes import wait_until


def log_entries(log_path: Path) -> list[dict[str, Any]]:
    entries = []
    for line in log_path.read_text().splitlines():
        if line.startswith("{"):
            entries.append(json.loads(line))
    return entries


def logged(
    log_path: Path, logger: str, request_id: str, timeout: float = 10, **fields: object
) -> dict[str, Any] | None:
    """The first line of `logger` for `request_id` (and `fields`, when given) in the log,
    waiting up to `timeout` for it."""

    def line() -> dict[str, Any] | None:
        return next(
            (
                e
                for e in log_entries(log_path)
                if e.get("logger") == logger
                and e.get("request_id") == request_id
                and all(e.get(name) == value for name, value in fields.items())
            ),
            None,
        )

    wait_until(lambda: line() is not None, timeout=timeout)
    return line()
