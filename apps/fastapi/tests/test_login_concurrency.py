"""The login limit does not race: 40 wrong logins for one user at once, spread over two
replicas of two workers each sharing the database, and exactly the limit (5) of them are
checked, on SQLite and on PostgreSQL (the database decides, see login_throttle)."""

from __future__ import annotations

import threading
from collections import Counter
from pathlib import Path

import httpx
import pytest
from meatyapis_chassis.database import Database
from meatyapis_fastapi.models import LoginFailure
from sqlalchemy import func, select

from apps.fastapi.tests.helpers import PASSWORD
from apps.fastapi.tests.test_server import base_url, start_server
from tests.reliability.measure import figures

pytestmark = pytest.mark.integration

ATTEMPTS = 40
LIMIT = 5  # LOGIN_MAX_FAILURES
# Every attempt may hash at once (no 503 from the hashing bound), each long enough to overlap.
SERVER = {
    "WEB_CONCURRENCY": "2",
    "PASSWORD_HASH_CONCURRENCY": str(ATTEMPTS),
    "PASSWORD_HASH_TIME_COST": "2",
    "PASSWORD_HASH_MEMORY_KIB": "8192",
}


def all_at_once(urls: list[str], body: dict[str, str], count: int) -> Counter[int]:
    """`count` logins released together by a barrier, alternating between `urls`."""
    barrier = threading.Barrier(count)
    statuses: list[int] = []
    lock = threading.Lock()

    def one(i: int) -> None:
        with httpx.Client(base_url=urls[i % len(urls)], timeout=60) as client:
            barrier.wait(timeout=60)
            status = client.post("/login", json=body, headers={"Connection": "close"}).status_code
        with lock:
            statuses.append(status)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return Counter(statuses)


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_concurrent_wrong_logins_check_at_most_the_limit(
    database: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    url = (
        f"sqlite:///{tmp_path / 'identity.db'}"
        if database == "sqlite"
        else str(request.getfixturevalue("postgres_url"))
    )
    with (
        start_server(tmp_path / "a", url, **SERVER) as first,
        start_server(tmp_path / "b", url, **SERVER) as second,
    ):
        replicas = [base_url(first), base_url(second)]
        body = {"username": "ada", "email": "ada@example.com", "password": PASSWORD}
        assert httpx.post(f"{replicas[0]}/register", json=body, timeout=30).status_code == 201
        counts = all_at_once(replicas, {"username": "ada", "password": "wrong"}, ATTEMPTS)
    stored = Database(url)
    try:
        with stored.read() as session:
            recorded = session.scalar(select(func.count()).select_from(LoginFailure))
    finally:
        stored.dispose()
    figures(
        f"login-race/{database}",
        attempts=ATTEMPTS,
        checked=counts[400],
        refused=counts[429],
        recorded=recorded,
    )
    assert counts == {400: LIMIT, 429: ATTEMPTS - LIMIT}
    assert recorded == LIMIT
