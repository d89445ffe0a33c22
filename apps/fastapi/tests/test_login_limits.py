"""The login limits: per (username, client address), per client address, a bounded back-off
per username; one address cannot lock the owner out. On SQLite and PostgreSQL, behind a proxy
that names each caller's address."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from fastapi.testclient import TestClient
from meatyapis_fastapi.app import create_app
from meatyapis_fastapi.dependencies import get_clock

from apps.fastapi.tests.helpers import PASSWORD, FakeClock, make_settings, register

PROXY = "10.0.0.2"
WRONG = "wrong!"
ATTACKER = "203.0.113.66"
OWNER = "198.51.100.2"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def client(database_url: str, clock: FakeClock) -> Iterator[TestClient]:
    settings = make_settings(database_url, forwarded_allow_ips=PROXY)
    app = create_app(settings)
    app.dependency_overrides[get_clock] = lambda: clock
    with TestClient(app, raise_server_exceptions=False, client=(PROXY, 40000)) as test_client:
        register(test_client, "ada")
        yield test_client


def attempt(
    client: TestClient, address: str, password: str = WRONG, username: str = "ada"
) -> httpx.Response:
    """A login from `address`, as the proxy reports it."""
    return client.post(
        "/login",
        json={"username": username, "password": password},
        headers={"X-Forwarded-For": address},
    )


def statuses(client: TestClient, address: str, count: int, **kwargs: str) -> list[int]:
    return [attempt(client, address, **kwargs).status_code for _ in range(count)]


def test_one_address_cannot_lock_the_owner_out(client: TestClient) -> None:
    """Twenty guesses from one address: five are checked, the rest refused; the owner, from
    another address, logs in at once with the right password."""
    assert statuses(client, ATTACKER, 20) == [400] * 5 + [429] * 15
    assert attempt(client, OWNER, PASSWORD).status_code == 200
    # The owner's success clears the owner's own failures only: the attacker stays limited.
    assert attempt(client, ATTACKER).status_code == 429


def test_distributed_guessing_backs_off_within_a_bound(
    client: TestClient, clock: FakeClock
) -> None:
    """Guesses from ever new addresses: ten at full speed, then each next one waits 1, 2, 4 …
    seconds after the last, at most 60 s. The owner waits for one slot, never a lockout."""
    for i in range(10):
        assert attempt(client, f"192.0.2.{i}").status_code == 400
    waits = []
    for i in range(10, 18):
        limited = attempt(client, f"192.0.2.{i}")
        assert limited.status_code == 429
        waits.append(int(limited.headers["retry-after"]))
        clock.now += waits[-1]
        assert attempt(client, f"192.0.2.{i}").status_code == 400
    assert waits == [1, 2, 4, 8, 16, 32, 60, 60]
    owner = attempt(client, OWNER, PASSWORD)
    assert owner.status_code == 429
    assert int(owner.headers["retry-after"]) <= 60
    clock.now += int(owner.headers["retry-after"])
    assert attempt(client, OWNER, PASSWORD).status_code == 200


def test_spellings_of_a_username_share_its_limit(client: TestClient) -> None:
    spellings = ["ada", "ADA", "Ada", "\uff41\uff44\uff41", "aDa", "ada"]
    outcomes = [attempt(client, ATTACKER, username=name).status_code for name in spellings]
    assert outcomes == [400] * 5 + [429]


def test_ipv6_clients_count_per_64_network(client: TestClient) -> None:
    """Addresses of one /64 (what one subscriber usually holds) are one client."""
    outcomes = [attempt(client, f"2001:db8:1:2::{i + 1:x}").status_code for i in range(6)]
    assert outcomes == [400] * 5 + [429]
    assert attempt(client, "2001:db8:1:3::1").status_code == 400
