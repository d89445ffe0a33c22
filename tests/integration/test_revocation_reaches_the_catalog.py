"""A token taken back at the identity service stops working on the catalog's writes within the
catalog's documented window: its token cache keeps a verdict at most IDENTITY_CACHE_TTL_SECONDS.
Both services really running (gunicorn, several workers each, SQLite)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from bench import services

pytestmark = pytest.mark.integration

CACHE_TTL = 2.0  # IDENTITY_CACHE_TTL_SECONDS of this catalog
MARGIN = 0.5
WRITES = 6  # on fresh connections: over every catalog worker


@dataclass
class Stack:
    identity: services.Service
    catalog: services.Service


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    tmp = tmp_path_factory.mktemp("revocation")
    with (
        services.identity_service(tmp / "identity") as identity,
        services.catalog_service(
            tmp / "catalog", identity.url, IDENTITY_CACHE_TTL_SECONDS=str(CACHE_TTL)
        ) as catalog,
    ):
        yield Stack(identity, catalog)


def write(stack: Stack, token: str) -> httpx.Response:
    body = {"name": f"p-{uuid.uuid4().hex[:10]}", "price": "3.50", "quantity": 1}
    headers = {"Authorization": f"Bearer {token}", "Connection": "close"}
    return httpx.post(f"{stack.catalog.url}/products", json=body, headers=headers, timeout=10)


def test_logout_and_revoke_all_reach_the_catalog_within_its_cache_window(stack: Stack) -> None:
    logged_out = services.register_and_login(stack.identity, "alice")
    revoked_all = services.register_and_login(stack.identity, "bob")
    for token in (logged_out, revoked_all):  # the verdicts are cached now
        assert all(write(stack, token).status_code == 201 for _ in range(WRITES))
    identity = httpx.Client(base_url=stack.identity.url, timeout=10)
    with identity:
        assert identity.post("/logout", headers=bearer(logged_out)).status_code == 204
        assert identity.delete("/users/me/tokens", headers=bearer(revoked_all)).status_code == 204
    revoked_at = time.monotonic()
    time.sleep(max(0.0, revoked_at + CACHE_TTL + MARGIN - time.monotonic()))
    for token in (logged_out, revoked_all):
        refused = [write(stack, token) for _ in range(WRITES)]
        assert [r.status_code for r in refused] == [401] * WRITES
        assert all(r.headers["www-authenticate"].startswith("Bearer") for r in refused)
    fresh = services.register_and_login(stack.identity, "alice")
    assert write(stack, fresh).status_code == 201  # logging in again works at once


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
