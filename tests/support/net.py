"""Ports and bounded HTTP waits on 127.0.0.1."""

from __future__ import annotations

import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor

import httpx

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


def concurrent_get_statuses(
    base_url: str, paths: Iterable[str], concurrency: int = 16, timeout: float = 30.0
) -> list[int]:
    """GET every path from `concurrency` threads, each request on a new connection.

    A new connection per request lets the kernel spread them over a server's workers. Each
    thread has its own client: httpx's connection pool is not safe to share between threads
    that open and close connections at this rate (a socket closed by one thread is read by
    another: "Bad file descriptor").
    """
    assert base_url.startswith(f"http://{HOST}:"), f"tests only ever target {HOST}: {base_url}"
    local = threading.local()
    clients: list[httpx.Client] = []
    lock = threading.Lock()

    def get(path: str) -> int:
        client = getattr(local, "client", None)
        if client is None:
            client = httpx.Client(
                base_url=base_url, timeout=timeout, headers={"Connection": "close"}
            )
            local.client = client
            with lock:
                clients.append(client)
        return client.get(path).status_code

    try:
        with ThreadPoolExecutor(concurrency) as pool:
            return list(pool.map(get, paths))
    finally:
        for client in clients:
            client.close()
