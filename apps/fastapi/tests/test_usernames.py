"""Usernames compare after normalisation (NFKC, casefold): one account per name however it is
spelt, at registration and at login; on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from meatyapis_fastapi.usernames import canonical

from apps.fastapi.tests.helpers import PASSWORD, assert_problem, bearer, login, register


@pytest.mark.parametrize(
    ("spelling", "name"),
    [
        ("Ada", "ada"),
        ("ADA", "ada"),
        ("\uff21\uff24\uff21", "ada"),  # fullwidth
        ("\u212bngstr\u00f6m", "\u00e5ngstr\u00f6m"),  # the Angstrom sign is an a with ring
        ("Stra\u00dfe", "strasse"),
    ],
)
def test_spellings_normalise_alike(spelling: str, name: str) -> None:
    assert canonical(spelling) == name


@pytest.mark.parametrize("taken_as", ["Ada", "ADA", "aDA"])
def test_a_name_differing_only_by_case_is_taken(db_client: TestClient, taken_as: str) -> None:
    register(db_client, "ada")
    body = {"username": taken_as, "email": "other@example.com", "password": PASSWORD}
    assert_problem(db_client.post("/register", json=body), 409, detail="username already taken")


def test_login_by_any_spelling_reaches_the_one_account(db_client: TestClient) -> None:
    user = register(db_client, "Ada_Lovelace")
    for spelling in ("Ada_Lovelace", "ada_lovelace", "ADA_LOVELACE", "\uff41da_lovelace"):
        me = db_client.get("/users/me", headers=bearer(login(db_client, spelling))).json()
        assert me == user  # the name as registered
