"""Registration, login, tokens and the protected endpoints, on SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable

import jwt
import pytest
from fastapi.testclient import TestClient
from meatyapis_fastapi.dependencies import get_clock
from meatyapis_fastapi.models import User
from sqlalchemy import select

from apps.fastapi.tests.helpers import (
    PASSWORD,
    SECRET,
    FakeClock,
    assert_problem,
    assert_token_error,
    bearer,
    login,
    register,
)


def test_register_returns_the_user_without_password(db_client: TestClient) -> None:
    user = register(db_client, "ada")
    assert set(user) == {"id", "username", "email", "role", "created_at"}
    assert user["role"] == "reader"
    assert user["username"] == "ada"
    assert user["email"] == "ada@example.com"
    assert user["created_at"].endswith("Z") or user["created_at"].endswith("+00:00")


def test_password_is_stored_as_argon2id(db_client: TestClient) -> None:
    register(db_client, "ada")
    with db_client.app.state.db.session() as session:  # type: ignore[attr-defined]
        stored = session.scalar(select(User.password_hash).where(User.username == "ada"))
    assert stored is not None
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"username": "ab", "email": "a@example.com", "password": "long enough"}, "username"),
        ({"username": "x" * 33, "email": "a@example.com", "password": "long enough"}, "username"),
        ({"username": "bad name", "email": "a@example.com", "password": "long enough"}, "username"),
        ({"username": "ada", "email": "not-an-email", "password": "long enough"}, "email"),
        ({"username": "ada", "email": "a@example.com", "password": "short"}, "password"),
        ({"username": "ada", "email": "a@example.com", "password": "p" * 129}, "password"),
        ({"username": "ada", "email": "a@example.com"}, "password"),
        ({"username": "ada", "email": "a@example.com", "password": 12345678}, "password"),
        (
            {"username": "ada", "email": "a@example.com", "password": "long enough", "admin": 1},
            "admin",
        ),
    ],
)
def test_register_refuses_invalid_fields(
    client: TestClient, body: dict[str, object], field: str
) -> None:
    assert_problem(client.post("/register", json=body), 422, field)


def test_register_conflicts(db_client: TestClient) -> None:
    register(db_client, "ada")
    same_name = {"username": "ada", "email": "other@example.com", "password": PASSWORD}
    assert_problem(db_client.post("/register", json=same_name), 409, detail="username")
    same_email = {"username": "bob", "email": "ADA@example.com", "password": PASSWORD}
    assert_problem(db_client.post("/register", json=same_email), 409, detail="email")


def test_register_race_is_decided_by_the_unique_constraint(db_client: TestClient) -> None:
    """Two registrations that both pass the pre-check: the database refuses the second."""
    from meatyapis_fastapi.routers import auth

    register(db_client, "ada")
    real_taken = auth._taken
    auth._taken = lambda *_args: None  # type: ignore[assignment]
    try:
        response = db_client.post(
            "/register", json={"username": "ada", "email": "x@example.com", "password": PASSWORD}
        )
    finally:
        auth._taken = real_taken
    assert_problem(response, 409, detail="already taken")


@pytest.mark.parametrize("style", ["form", "json"])
def test_login_with_form_and_json(db_client: TestClient, style: str) -> None:
    user = register(db_client, "ada")
    credentials = {"username": "ada", "password": PASSWORD}
    if style == "form":
        response = db_client.post("/login", data={**credentials, "grant_type": "password"})
    else:
        response = db_client.post("/login", json=credentials)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 3600
    claims = jwt.decode(
        body["access_token"], SECRET, algorithms=["HS256"], issuer="meatyapis-fastapi"
    )
    assert claims["sub"] == str(user["id"])
    assert claims["exp"] - claims["iat"] == 3600
    assert len(claims["jti"]) == 32


@pytest.mark.parametrize(
    ("username", "password"), [("ada", "wrong password"), ("nobody", PASSWORD)]
)
def test_bad_credentials_are_one_invalid_grant(
    client: TestClient, username: str, password: str
) -> None:
    register(client, "ada")
    response = client.post("/login", json={"username": username, "password": password})
    problem = assert_token_error(response, 400, "invalid_grant")
    assert problem["detail"] == problem["error_description"] == "invalid username or password"
    assert "www-authenticate" not in response.headers  # only for invalid_client (RFC 6749 §5.2)


def test_missing_user_is_checked_against_a_dummy_hash(client: TestClient) -> None:
    """Equal work for a missing user: argon2 verification runs against the dummy hash."""
    passwords = client.app.state.passwords  # type: ignore[attr-defined]
    verified: list[str] = []
    real_hasher = passwords.hasher

    class SpyHasher:
        def verify(self, hash_: str, password: str) -> bool:
            verified.append(hash_)
            return bool(real_hasher.verify(hash_, password))

    passwords.hasher = SpyHasher()
    client.post("/login", json={"username": "nobody", "password": "whatever"})
    assert verified == [passwords._dummy_hash]


@pytest.fixture
def clock(db_client: TestClient) -> FakeClock:
    fake = FakeClock()
    db_client.app.dependency_overrides[get_clock] = lambda: fake  # type: ignore[attr-defined]
    return fake


def fail_login(client: TestClient, username: str = "ada") -> int:
    """A wrong password: 400 invalid_grant, or 429 once the attempts are used up."""
    return client.post("/login", json={"username": username, "password": "wrong!"}).status_code


def test_failed_logins_are_rate_limited_then_recover(
    db_client: TestClient, clock: FakeClock
) -> None:
    register(db_client, "ada")
    assert [fail_login(db_client) for _ in range(5)] == [400] * 5
    clock.now += 10
    response = db_client.post("/login", json={"username": "ada", "password": PASSWORD})
    assert_token_error(response, 429, "temporarily_unavailable", detail="try again in 290 s")
    assert int(response.headers["retry-after"]) == 290
    clock.now += 289
    assert (
        db_client.post("/login", json={"username": "ada", "password": PASSWORD}).status_code == 429
    )
    clock.now += 1.5
    assert login(db_client, "ada")
    # A success clears this client's failures on the username: five fresh attempts.
    assert [fail_login(db_client) for _ in range(6)] == [400] * 5 + [429]


def test_rate_limit_per_client_address(sqlite_url: str) -> None:
    from apps.fastapi.tests.helpers import make_settings, open_client

    settings = make_settings(sqlite_url, login_max_failures_per_ip=3)
    with open_client(settings) as client:
        statuses = [fail_login(client, f"user{i}") for i in range(4)]
    assert statuses == [400, 400, 400, 429]


def test_verify_returns_the_claims(db_client: TestClient) -> None:
    user = register(db_client, "ada")
    response = db_client.get("/verify", headers=bearer(login(db_client)))
    assert response.status_code == 200
    claims = response.json()
    assert claims["sub"] == str(user["id"])
    assert claims["username"] == "ada"
    assert claims["exp"] > claims["iat"]


def test_info_and_me_with_a_token(db_client: TestClient) -> None:
    user = register(db_client, "ada")
    headers = bearer(login(db_client))
    assert db_client.get("/info", headers=headers).json() == {"info": "The answer is 42."}
    assert db_client.get("/users/me", headers=headers).json() == user


def forge(claims: dict[str, object], key: str = SECRET, algorithm: str = "HS256") -> str:
    return jwt.encode(claims, key, algorithm=algorithm)


def valid_claims(**changes: object) -> dict[str, object]:
    now = int(time.time())
    claims: dict[str, object] = {
        "sub": "1",
        "username": "ada",
        "gen": 0,
        "iss": "meatyapis-fastapi",
        "iat": now,
        "exp": now + 60,
        "jti": "0" * 32,
    }
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


def none_alg_token() -> str:
    def part(data: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(valid_claims())}."


def tampered_token(client: TestClient) -> str:
    header, payload, signature = login(client).split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["username"] = "root"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


BAD_TOKENS: dict[str, Callable[[TestClient], str]] = {
    "expired": lambda _c: forge(
        valid_claims(iat=int(time.time()) - 120, exp=int(time.time()) - 60)
    ),
    "wrong key": lambda _c: forge(valid_claims(), key="another-secret-another-secret-another"),
    "wrong alg": lambda _c: forge(valid_claims(), algorithm="HS512"),
    "none alg": lambda _c: none_alg_token(),
    "tampered": tampered_token,
    "no exp": lambda _c: forge(valid_claims(exp=None)),
    "no jti": lambda _c: forge(valid_claims(jti=None)),
    "wrong issuer": lambda _c: forge(valid_claims(iss="someone-else")),
    "non-numeric sub": lambda _c: forge(valid_claims(sub="admin")),
    "superscript digit sub": lambda _c: forge(valid_claims(sub="\u00b2")),
    "arabic digit sub": lambda _c: forge(valid_claims(sub="\u0661")),
    "signed sub": lambda _c: forge(valid_claims(sub="+1")),
    "zero-padded sub": lambda _c: forge(valid_claims(sub="01")),
    "spaced sub": lambda _c: forge(valid_claims(sub=" 1")),
    "sub beyond 64 bits": lambda _c: forge(valid_claims(sub="9" * 20)),
    "integer sub": lambda _c: forge(valid_claims(sub=1)),
    "no gen": lambda _c: forge(valid_claims(gen=None)),
    "negative gen": lambda _c: forge(valid_claims(gen=-1)),
    "string gen": lambda _c: forge(valid_claims(gen="0")),
    "another gen": lambda _c: forge(valid_claims(gen=1)),
    "another username": lambda _c: forge(valid_claims(username="Ada")),
    "unknown user": lambda _c: forge(valid_claims(sub="2")),
    "lives too long": lambda _c: forge(valid_claims(exp=int(time.time()) + 43_201)),
    "issued before the user": lambda _c: forge(valid_claims(iat=int(time.time()) - 60)),
    "garbage": lambda _c: "not.a.token",
}


@pytest.mark.parametrize("path", ["/verify", "/info", "/users/me"])
def test_a_forged_token_with_valid_claims_is_accepted(client: TestClient, path: str) -> None:
    """The baseline of the bad tokens below: each differs from this one in one claim."""
    register(client, "ada")
    assert client.get(path, headers=bearer(forge(valid_claims()))).status_code == 200


# Forging the HS512 token with the 39-byte test key makes PyJWT warn; that token is meant to fail.
@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
@pytest.mark.parametrize("kind", list(BAD_TOKENS))
@pytest.mark.parametrize("path", ["/verify", "/info", "/users/me"])
def test_bad_tokens_are_401(client: TestClient, kind: str, path: str) -> None:
    register(client, "ada")
    response = client.get(path, headers=bearer(BAD_TOKENS[kind](client)))
    assert_problem(response, 401, detail="invalid token")
    assert response.headers["www-authenticate"] == 'Bearer error="invalid_token"'


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Basic YTpi"}, {"Authorization": ""}])
@pytest.mark.parametrize("path", ["/verify", "/info", "/users/me"])
def test_missing_token_is_401_with_challenge(
    client: TestClient, headers: dict[str, str], path: str
) -> None:
    response = client.get(path, headers=headers)
    assert_problem(response, 401, detail="bearer token is required")
    assert response.headers["www-authenticate"] == "Bearer"


def test_token_of_a_deleted_user_cannot_read_me(client: TestClient) -> None:
    register(client, "ada")
    token = login(client)
    with client.app.state.db.session() as session:  # type: ignore[attr-defined]
        session.delete(session.scalar(select(User)))
        session.commit()
    assert_problem(client.get("/users/me", headers=bearer(token)), 401, detail="no longer exists")


def test_outdated_hash_is_upgraded_at_login(sqlite_url: str) -> None:
    from apps.fastapi.tests.helpers import make_settings, open_client

    with open_client(make_settings(sqlite_url)) as client:
        register(client, "ada")
    stronger = make_settings(sqlite_url, password_hash_time_cost=2)
    with open_client(stronger) as client:
        login(client)
        with client.app.state.db.session() as session:  # type: ignore[attr-defined]
            stored = session.scalar(select(User.password_hash))
    assert stored is not None
    assert ",t=2," in stored
