"""A bounded number of argon2 computations per worker: a login or registration beyond them is
refused at once (503 with Retry-After), unrecorded and unhashed."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from meatyapis_fastapi.models import LoginFailure
from meatyapis_fastapi.security import HashingBusy, Passwords
from sqlalchemy import func, select

from apps.fastapi.tests.helpers import (
    PASSWORD,
    assert_problem,
    assert_token_error,
    login,
    register,
)


def test_slots_are_bounded() -> None:
    passwords = Passwords(time_cost=1, memory_kib=1024, concurrency=2)
    with passwords.slot(), passwords.slot(), pytest.raises(HashingBusy), passwords.slot():
        pass  # pragma: no cover - the slot is never given
    with passwords.slot():  # both given back
        assert passwords.verify(passwords.hash(PASSWORD), PASSWORD)


def test_logins_beyond_the_slots_get_503_at_once(db_client: TestClient) -> None:
    register(db_client, "ada")
    passwords = db_client.app.state.passwords  # type: ignore[attr-defined]
    with passwords.slot():  # the worker's only slot (PASSWORD_HASH_CONCURRENCY=1) is taken
        response = db_client.post("/login", json={"username": "ada", "password": PASSWORD})
        assert_token_error(response, 503, "temporarily_unavailable", detail="too many logins")
        assert response.headers["retry-after"] == "1"
        body = {"username": "bob", "email": "bob@example.com", "password": PASSWORD}
        refused = db_client.post("/register", json=body)
        assert_problem(refused, 503, detail="too many passwords")
        assert refused.headers["retry-after"] == "1"
    with db_client.app.state.db.session() as session:  # type: ignore[attr-defined]
        assert session.scalar(select(func.count()).select_from(LoginFailure)) == 0
    assert login(db_client, "ada")
