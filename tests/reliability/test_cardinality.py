"""Cardinality flood: 10 000 requests with random URLs and methods add only a bounded number of
metric series (unknown paths are labelled handler="none"; methods stay a small fixed set)."""

from __future__ import annotations

import http.client
import random
import string
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest

from bench.services import Service
from tests.reliability.conftest import Stack
from tests.reliability.measure import duration_series, figures, sample_count, tree_rss_mib
from tests.support.net import HOST

pytestmark = [pytest.mark.integration, pytest.mark.slow]

FLOOD = 10_000
CLIENTS = 8
MAX_NEW_LABEL_SETS = 40  # (method, "none", status) combinations: a few methods x a few statuses
STANDARD_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "PROPFIND")


def random_request(rng: random.Random) -> tuple[str, str]:
    """A random method (standard or a made-up token) and a random path."""
    if rng.random() < 0.5:
        method = rng.choice(STANDARD_METHODS)
    else:
        method = "".join(rng.choices(string.ascii_uppercase, k=rng.randint(4, 10)))
    word = "".join(rng.choices(string.ascii_lowercase + string.digits, k=rng.randint(1, 12)))
    path = f"/{word}/{rng.randint(1, 10**9)}" if rng.random() < 0.8 else f"/products/{word}"
    return method, path


def client(port: int, seed: int, count: int) -> Counter[int]:
    """`count` requests over keep-alive connections (reopened when the server closes one)."""
    rng = random.Random(seed)
    statuses: Counter[int] = Counter()
    connection = http.client.HTTPConnection(HOST, port, timeout=10)
    for _ in range(count):
        method, path = random_request(rng)
        try:
            connection.request(method, path)
            response = connection.getresponse()
            response.read()
            statuses[response.status] += 1
            if response.will_close:
                connection.close()
        except (OSError, http.client.HTTPException):
            statuses[0] += 1  # no answer: counted as a failure
            connection.close()
            connection = http.client.HTTPConnection(HOST, port, timeout=10)
    connection.close()
    return statuses


def flood(service: Service) -> Counter[int]:
    with ThreadPoolExecutor(CLIENTS) as pool:
        parts = pool.map(lambda seed: client(service.port, seed, FLOOD // CLIENTS), range(CLIENTS))
        return sum(parts, Counter())


@pytest.mark.parametrize("which", ["catalog", "identity"])
def test_random_urls_and_methods_add_bounded_series(stack: Stack, which: str) -> None:
    service: Service = getattr(stack, which)
    before = duration_series(service.metrics_url)
    samples_before = sample_count(service.metrics_url)
    statuses = flood(service)
    sent = sum(statuses.values())
    server_errors = sum(n for status, n in statuses.items() if status >= 500 or status == 0)
    after = duration_series(service.metrics_url)
    new = set(after) - set(before)
    methods = {method for method, _, _ in after}
    handlers = {handler for _, handler, _ in new}
    figures(
        f"cardinality/{which}",
        requests=sent,
        failures=server_errors,
        statuses=dict(sorted(statuses.items())),
        series_before=len(before),
        series_after=len(after),
        samples_before=samples_before,
        samples_after=sample_count(service.metrics_url),
        methods=len(methods),
        rss_mib=f"{tree_rss_mib(service.process.pid):.0f}",
    )
    assert sent >= FLOOD
    assert server_errors == 0
    # "none" or a route template (a digits-only word matches /products/<int:product_id>),
    # never a raw path
    assert all(h == "none" or "<" in h or "{" in h for h in handlers), handlers
    assert len(new) <= MAX_NEW_LABEL_SETS, sorted(new)
