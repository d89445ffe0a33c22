"""The catalog and the identity service really running together on 127.0.0.1 — gunicorn with
gthread workers and gunicorn with uvicorn workers, several each, SQLite in a temporary folder:
tokens checked over HTTP, and the identity service killed, restarted and slow.

The time bounds asserted here are functional (the documented client deadline, "within one
second"), not speed: a write that took longer would be a hanging write.
"""

from __future__ import annotations

import re
import signal
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import requests_oauthlib
from authlib.integrations.base_client import OAuthError
from authlib.integrations.requests_client import OAuth2Session as AuthlibSession
from oauthlib.oauth2 import InvalidGrantError, LegacyApplicationClient

from bench import services
from tests.support.identity_stub import IdentityStub
from tests.support.processes import wait_until
from tests.support.server_logs import logged

pytestmark = pytest.mark.integration

ANSWER_WITHIN = (
    1.0  # seconds: the documented bound (client deadline IDENTITY_DEADLINE_SECONDS 0.7 s)
)
COOLDOWN = 2  # IDENTITY_BREAKER_COOLDOWN_SECONDS for these tests
PRODUCT = {"price": "3.50", "quantity": 1}
TRACE_ID = "0af7651916cd43dd8448eb211c80319c"


@dataclass
class Stack:
    identity: services.Service
    catalog: services.Service
    tmp: Path

    def token(self) -> str:
        """A new token (a new login), so that no catalog worker has it cached yet."""
        return services.register_and_login(self.identity, "together")


def catalog_env(tmp: Path, identity_url: str, **extra: str) -> dict[str, str]:
    return services.flask_env(
        tmp,
        services.flask_database(tmp / "db"),
        workers=3,
        IDENTITY_URL=identity_url,
        IDENTITY_BREAKER_FAILURES="2",
        IDENTITY_BREAKER_COOLDOWN_SECONDS=str(COOLDOWN),
        **extra,
    )


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    tmp = tmp_path_factory.mktemp("together")
    identity = services.identity_service(tmp / "identity")
    catalog_dir = tmp / "catalog"
    catalog_dir.mkdir()
    catalog = services.flask_gunicorn(
        "catalog", catalog_dir, catalog_env(catalog_dir, identity.url)
    )
    stack = Stack(identity, catalog, tmp)
    try:
        with identity, catalog:
            yield stack
    finally:
        stack.identity.process.stop()  # a test may have replaced it with a restarted one


def write(url: str, token: str | None, **headers: str) -> tuple[httpx.Response, float]:
    """A POST /products on a fresh connection, with the time it took to be answered."""
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    body = {"name": f"p-{uuid.uuid4().hex[:10]}", **PRODUCT}
    started = time.monotonic()
    response = httpx.post(f"{url}/products", json=body, headers=headers, timeout=10)
    return response, time.monotonic() - started


def breaker_states(metrics_url: str) -> list[float]:
    text = httpx.get(metrics_url, timeout=10).text
    pattern = r'^meatyapis_circuit_breaker_state\{target="identity"\} (\S+)$'
    return [float(value) for value in re.findall(pattern, text, flags=re.MULTILINE)]


def outbound_total(metrics_url: str, outcome: str) -> float:
    text = httpx.get(metrics_url, timeout=10).text
    pattern = rf'^meatyapis_outbound_requests_total\{{(?=[^}}]*outcome="{outcome}")[^}}]*\}} (\S+)$'
    return sum(float(value) for value in re.findall(pattern, text, flags=re.MULTILINE))


def test_register_login_then_write_with_the_token(stack: Stack) -> None:
    token = stack.token()
    created, _ = write(stack.catalog.url, token)
    assert created.status_code == 201, created.text
    url = stack.catalog.url + created.headers["Location"]
    auth = {"Authorization": f"Bearer {token}"}
    patched = httpx.patch(url, json={"quantity": 7}, headers=auth, timeout=10)
    assert patched.status_code == 200
    assert patched.json()["quantity"] == 7
    assert httpx.delete(url, headers=auth, timeout=10).status_code == 204
    assert httpx.get(url, timeout=10).status_code == 404


OAUTH2_USER = "oauth2-client"
CLIENT_ID = "catalog-cli"  # a public client: the identity service does not authenticate clients


def oauth2_sessions() -> list[Any]:
    """Password-grant sessions of two client libraries: requests-oauthlib and authlib."""
    return [
        requests_oauthlib.OAuth2Session(client=LegacyApplicationClient(client_id=CLIENT_ID)),
        AuthlibSession(client_id=CLIENT_ID, token_endpoint_auth_method="none"),
    ]


@pytest.fixture
def oauth2_user(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> str:
    # requests-oauthlib refuses plain HTTP unless told; here it only reaches 127.0.0.1
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    services.register_and_login(stack.identity, OAUTH2_USER)
    return OAUTH2_USER


def test_standard_oauth2_clients_get_a_token_that_writes_on_the_catalog(
    stack: Stack, oauth2_user: str
) -> None:
    token_url = f"{stack.identity.url}/login"
    for session in oauth2_sessions():
        with session:
            token = session.fetch_token(token_url, username=oauth2_user, password=services.PASSWORD)
            assert token["token_type"] == "bearer"
            assert token["expires_in"] == 3600
            # The session sends its token as `Authorization: Bearer …`; the catalog checks it.
            body = {"name": f"oauth2-{uuid.uuid4().hex[:10]}", **PRODUCT}
            created = session.post(f"{stack.catalog.url}/products", json=body, timeout=10)
            assert created.status_code == 201, created.text
            assert created.json()["name"] == body["name"]
    answer = httpx.post(
        token_url,
        data={"grant_type": "password", "username": oauth2_user, "password": services.PASSWORD},
        timeout=10,
    )
    assert answer.status_code == 200
    assert (answer.headers["cache-control"], answer.headers["pragma"]) == ("no-store", "no-cache")


def test_standard_oauth2_clients_raise_invalid_grant_for_a_wrong_password(
    stack: Stack, oauth2_user: str
) -> None:
    token_url = f"{stack.identity.url}/login"
    oauthlib_session, authlib_session = oauth2_sessions()
    with oauthlib_session, pytest.raises(InvalidGrantError) as refused:
        oauthlib_session.fetch_token(token_url, username=oauth2_user, password="wrong password")
    assert refused.value.description == "invalid username or password"
    assert refused.value.status_code == 400
    with authlib_session:
        with pytest.raises(OAuthError) as caught:
            authlib_session.fetch_token(token_url, username=oauth2_user, password="wrong password")
        with pytest.raises(OAuthError) as unsupported:
            authlib_session.fetch_token(token_url, grant_type="client_credentials")
    assert caught.value.error == "invalid_grant"
    assert caught.value.description == "invalid username or password"
    assert unsupported.value.error == "unsupported_grant_type"


def test_a_bad_or_missing_token_is_refused_with_401(stack: Stack) -> None:
    for token in ("forged", stack.token() + "x", None):
        refused, _ = write(stack.catalog.url, token)
        assert refused.status_code == 401, (token, refused.text)
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.headers["WWW-Authenticate"].startswith("Bearer")


def test_request_id_and_traceparent_join_both_services_logs(stack: Stack) -> None:
    request_id = f"join-{uuid.uuid4().hex}"
    incoming = f"00-{TRACE_ID}-b7ad6b7169203331-01"
    created, _ = write(
        stack.catalog.url, stack.token(), **{"X-Request-ID": request_id, "traceparent": incoming}
    )
    assert created.status_code == 201
    assert created.headers["X-Request-ID"] == request_id

    outbound = logged(stack.catalog.process.log_path, "meatyapis_flask.outbound", request_id)
    assert outbound is not None
    assert outbound["outcome"] == "success"
    assert outbound["status"] == "200"
    assert outbound["target"] == "identity"
    assert outbound["duration_ms"] >= 0
    sent = outbound["traceparent"]
    assert re.fullmatch(rf"00-{TRACE_ID}-[0-9a-f]{{16}}-01", sent)
    assert sent != incoming  # a new span of the same trace

    answered = logged(stack.identity.process.log_path, "meatyapis_fastapi.access", request_id)
    assert answered is not None
    assert answered["path"] == "/verify"
    assert answered["traceparent"] == sent


def test_identity_killed_then_restarted(stack: Stack) -> None:
    catalog = stack.catalog.url
    tokens = [stack.token() for _ in range(2)]
    seeded, _ = write(catalog, tokens[1])  # tokens[0] stays uncached: no worker has seen it
    assert seeded.status_code == 201
    product = catalog + seeded.headers["Location"]

    stack.identity.process.stop(signal.SIGKILL)
    latencies = []
    for _ in range(9):
        refused, took = write(catalog, tokens[0])
        latencies.append(took)
        assert refused.status_code == 503, refused.text
        assert refused.headers["content-type"] == "application/problem+json"
        assert 1 <= int(refused.headers["Retry-After"]) <= COOLDOWN
        assert refused.json()["type"] == "urn:meatyapis:problem:identity-unavailable"
        assert httpx.get(product, timeout=10).status_code == 200
    assert httpx.get(f"{catalog}/readyz", timeout=10).status_code == 200
    assert max(latencies) < ANSWER_WITHIN, latencies
    assert 2 in breaker_states(
        stack.catalog.metrics_url
    )  # livemax: at least one worker's circuit is open
    assert outbound_total(stack.catalog.metrics_url, "rejected") > 0

    revived = services.fastapi_gunicorn("identity", stack.tmp / "identity", stack.identity.env)
    revived.process.start()
    stack.identity = revived  # same port, database and key: the tokens are valid again
    back = time.monotonic()

    def writes_work_and_circuits_closed() -> bool:
        created, _ = write(catalog, tokens[0])
        return created.status_code == 201 and breaker_states(stack.catalog.metrics_url) == [0.0]

    assert wait_until(writes_work_and_circuits_closed, timeout=30, interval=0.3)
    recovered_in = time.monotonic() - back
    print(
        f"identity down: 503 in {min(latencies) * 1000:.0f}-{max(latencies) * 1000:.0f} ms; "
        f"writes recovered {recovered_in:.1f} s after the restart began"
    )


def test_a_slow_identity_service_gets_503_within_the_deadline(tmp_path: Path) -> None:
    with IdentityStub({"slow-token": "carol"}) as slow:
        slow.delay = 5.0  # far longer than the 0.5 s read timeout
        catalog = services.flask_gunicorn(
            "slow-catalog", tmp_path, catalog_env(tmp_path, slow.url, WEB_CONCURRENCY="2")
        )
        with catalog:
            latencies = []
            for _ in range(4):
                refused, took = write(catalog.url, "slow-token")
                latencies.append(took)
                assert refused.status_code == 503, refused.text
                assert int(refused.headers["Retry-After"]) >= 1
            assert max(latencies) < ANSWER_WITHIN, latencies
            assert outbound_total(catalog.metrics_url, "timeout") >= 2
            assert httpx.get(f"{catalog.url}/products", timeout=10).status_code == 200
    print(f"slow identity: 503 in {min(latencies) * 1000:.0f}-{max(latencies) * 1000:.0f} ms")


def test_a_readers_token_is_valid_but_may_not_write(stack: Stack) -> None:
    """The scope travels: role -> token -> /verify -> the catalog's 403 (RFC 6750 §3.1)."""
    reader = services.register_and_login(stack.identity, "reader-ria", role="reader")
    refused, _ = write(stack.catalog.url, reader)
    assert refused.status_code == 403, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["type"] == "urn:meatyapis:problem:insufficient-scope"
    assert refused.headers["WWW-Authenticate"] == (
        'Bearer realm="catalog", error="insufficient_scope", scope="catalog:write"'
    )
    services.grant_role(stack.identity, "reader-ria", "editor")
    editor = services.register_and_login(stack.identity, "reader-ria")  # a new token
    created, _ = write(stack.catalog.url, editor)
    assert created.status_code == 201, created.text
    assert (created.json()["created_by"], created.json()["updated_by"]) == ("reader-ria",) * 2
