"""Ports and bounded HTTP waits on 127.0.0.1."""

from __future__ import annotations

import socket
import time
import urllib.error
import urllib.request

HOST = "127.0.0.1"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def http_status(url: str, timeout: float = 2.0) -> int | None:
    """The status code of a GET, or None when nothing answers."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:  # noqa: S310 (127.0.0.1 only)
            return int(resp.status)
    except urllib.error.HTTPError as err:
        return int(err.code)
    except (OSError, urllib.error.URLError):
        return None


def wait_for_status(url: str, status: int = 200, timeout: float = 30.0) -> None:
    """Poll `url` until it answers `status`; raise TimeoutError after `timeout` seconds."""
    assert url.startswith(f"http://{HOST}:"), f"tests only ever target {HOST}: {url}"
    deadline = time.monotonic() + timeout
    last: int | None = None
    while time.monotonic() < deadline:
        last = http_status(url)
        if last == status:
            return
        time.sleep(0.1)
    raise TimeoutError(f"{url} did not answer {status} within {timeout}s (last: {last})")
