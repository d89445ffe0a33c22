"""A burst of logins against the identity service as the chart runs it (its workers and argon2
settings, read from charts/meatyapis/values.yaml): the memory of the process tree stays below
the chart's memory limit, and the only 5xx are the fast 503 refusals of the hashing bound.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest
import yaml

from bench import services
from bench.services import Service
from tests.reliability.measure import figures, tree_rss_mib

pytestmark = [pytest.mark.integration, pytest.mark.slow]

CHART_VALUES = Path(__file__).resolve().parents[2] / "charts" / "meatyapis" / "values.yaml"
LOGINS = 60  # at once: 50 for made-up users, 10 for a real one with the right password
REAL_USER_LOGINS = 10
MEBI = {"Mi": 1, "Gi": 1024}


def chart_defaults() -> tuple[dict[str, str], float]:
    """The identity service's environment as the chart's defaults set it, and its memory limit."""
    fastapi = yaml.safe_load(CHART_VALUES.read_text())["fastapi"]
    hashing = fastapi["passwordHashing"]
    environment = {
        "WEB_CONCURRENCY": str(fastapi["workers"]),
        "PASSWORD_HASH_TIME_COST": str(hashing["timeCost"]),
        "PASSWORD_HASH_MEMORY_KIB": str(hashing["memoryKib"]),
        "PASSWORD_HASH_CONCURRENCY": str(hashing["concurrency"]),
    }
    limit = str(fastapi["resources"]["limits"]["memory"])
    return environment, float(limit[:-2]) * MEBI[limit[-2:]]


@pytest.fixture(scope="module")
def identity(tmp_path_factory: pytest.TempPathFactory) -> tuple[Service, float]:
    environment, limit_mib = chart_defaults()
    tmp = tmp_path_factory.mktemp("login-burst")
    with services.identity_service(tmp, **environment) as service:
        yield service, limit_mib  # type: ignore[misc]


def sample_peak(pid: int, stop: threading.Event, peak: list[float]) -> None:
    for _ in range(20_000):  # bounded: 100 s at most
        peak[0] = max(peak[0], tree_rss_mib(pid))
        if stop.wait(0.005):
            return


def test_a_burst_of_logins_stays_within_the_memory_limit(identity: tuple[Service, float]) -> None:
    service, limit_mib = identity
    for _ in range(30):  # bounded: the registration may meet a hashing slot in use
        body = {"username": "ada", "email": "ada@example.com", "password": services.PASSWORD}
        if httpx.post(f"{service.url}/register", json=body, timeout=30).status_code == 201:
            break
        time.sleep(0.2)
    rest = tree_rss_mib(service.process.pid)
    peak = [rest]
    stop = threading.Event()
    sampler = threading.Thread(target=sample_peak, args=(service.process.pid, stop, peak))
    sampler.start()
    barrier = threading.Barrier(LOGINS)
    answers: list[httpx.Response] = []
    lock = threading.Lock()

    def login(i: int) -> None:
        real = i < REAL_USER_LOGINS
        credentials = (
            {"username": "ada", "password": services.PASSWORD}
            if real
            else {"username": f"nobody{i}", "password": "guess"}
        )
        with httpx.Client(base_url=service.url, timeout=60) as client:
            barrier.wait(timeout=60)
            response = client.post("/login", json=credentials)
        with lock:
            answers.append(response)

    threads = [threading.Thread(target=login, args=(i,)) for i in range(LOGINS)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    finally:
        stop.set()
        sampler.join(timeout=10)
    statuses = Counter(response.status_code for response in answers)
    refusals = [response for response in answers if response.status_code == 503]
    figures(
        "login-burst/identity",
        logins=LOGINS,
        statuses=dict(sorted(statuses.items())),
        rest_rss_mib=f"{rest:.0f}",
        peak_rss_mib=f"{peak[0]:.0f}",
        limit_mib=f"{limit_mib:.0f}",
    )
    assert len(answers) == LOGINS
    assert set(statuses) <= {200, 400, 503}, statuses
    assert statuses[200] + statuses[400] >= 1  # some were checked, not all refused
    for refusal in refusals:
        assert refusal.json()["error"] == "temporarily_unavailable"
        assert refusal.headers["retry-after"] == "1"
    assert peak[0] < limit_mib
