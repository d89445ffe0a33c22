"""The bearer-token seam around product writes, and the identity service wired into it."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from flask.testing import FlaskClient
from meatyapis_flask.app import create_app
from meatyapis_flask.auth import Caller, TokenRejected, VerifierUnavailable
from meatyapis_flask.catalog_app import CatalogApp
from meatyapis_flask.identity.verifier import IdentityVerifier

from tests.support.identity_stub import IdentityStub
from tests.support.net import HOST, free_port

from .conftest import OTHER_EDITOR_TOKEN, READER_TOKEN, TEST_TOKEN, make_settings, metrics_text

PRODUCT = {"name": "Tri-tip", "price": "12.00", "quantity": 2}
BEARER = {"Authorization": f"Bearer {TEST_TOKEN}"}


def test_writes_need_a_valid_bearer_token_reads_do_not(app: CatalogApp) -> None:
    client = FlaskClient(app)  # sends no Authorization header by itself
    missing = client.post("/products", json=PRODUCT)
    assert missing.status_code == 401
    assert missing.mimetype == "application/problem+json"
    assert missing.headers["WWW-Authenticate"].startswith("Bearer")
    wrong_scheme = client.post("/products", json=PRODUCT, headers={"Authorization": "Basic x"})
    assert wrong_scheme.status_code == 401
    empty = client.post("/products", json=PRODUCT, headers={"Authorization": "Bearer "})
    assert empty.status_code == 401
    assert empty.headers["WWW-Authenticate"] == 'Bearer realm="catalog"'
    rejected = client.post("/products", json=PRODUCT, headers={"Authorization": "Bearer nope"})
    assert rejected.status_code == 401
    assert rejected.get_json()["detail"] == "token is not valid"
    assert rejected.headers["WWW-Authenticate"] == 'Bearer realm="catalog", error="invalid_token"'
    reader = client.post(
        "/products", json=PRODUCT, headers={"Authorization": f"Bearer {READER_TOKEN}"}
    )
    assert reader.status_code == 403
    assert reader.mimetype == "application/problem+json"
    assert reader.get_json()["type"] == "urn:meatyapis:problem:insufficient-scope"
    assert reader.headers["WWW-Authenticate"] == (
        'Bearer realm="catalog", error="insufficient_scope", scope="catalog:write"'
    )
    ok = client.post("/products", json=PRODUCT, headers=BEARER)
    assert ok.status_code == 201
    url = ok.headers["Location"]
    assert client.delete(url).status_code == 401
    assert client.get(url).status_code == 200  # reads stay open
    lower = {"Authorization": f"bearer {TEST_TOKEN}"}
    assert client.delete(url, headers=lower).status_code == 204


class DownVerifier:
    def verify(self, token: str) -> Caller:
        raise VerifierUnavailable("the identity service is unavailable, retry later", 4)


def test_an_undecided_verifier_makes_writes_answer_503_with_retry_after(app: CatalogApp) -> None:
    app.token_verifier = DownVerifier()
    client = app.test_client()
    response = client.post("/products", json=PRODUCT)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "4"
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["type"] == "urn:meatyapis:problem:identity-unavailable"
    assert "retry later" in body["detail"]
    assert client.get("/products").status_code == 200
    assert client.get("/readyz").status_code == 200  # readiness never asks the identity service


@pytest.fixture
def identity() -> Iterator[IdentityStub]:
    with IdentityStub({"real-token": "bob"}) as stub:
        yield stub


def identity_app(sqlite_url: str, identity_url: str, **settings: object) -> CatalogApp:
    return create_app(make_settings(sqlite_url, identity_url=identity_url, **settings))


def test_create_app_checks_tokens_with_the_identity_service(
    sqlite_url: str, identity: IdentityStub
) -> None:
    app = identity_app(sqlite_url, identity.url)
    assert isinstance(app.token_verifier, IdentityVerifier)
    client = app.test_client()
    headers = {
        "Authorization": "Bearer real-token",
        "X-Request-ID": "write-1",
        "traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
    }
    assert client.post("/products", json=PRODUCT, headers=headers).status_code == 201
    assert identity.calls[0]["x-request-id"] == "write-1"
    assert identity.calls[0]["traceparent"].startswith("00-4bf92f3577b34da6a3ce929d0e0e4736-")
    # The verdict is cached: a second write with the same token makes no call.
    second = client.post("/products", json={**PRODUCT, "name": "Other"}, headers=headers)
    assert second.status_code == 201
    assert len(identity.calls) == 1
    forged = client.post("/products", json=PRODUCT, headers={"Authorization": "Bearer forged"})
    assert forged.status_code == 401
    assert forged.headers["WWW-Authenticate"].startswith("Bearer")
    metrics = metrics_text(client.application)
    assert (
        'meatyapis_outbound_requests_total{outcome="success",status="200",target="identity"} 1.0'
        in metrics
    )
    assert (
        'meatyapis_outbound_requests_total{outcome="success",status="401",target="identity"} 1.0'
        in metrics
    )
    assert 'meatyapis_circuit_breaker_state{target="identity"} 0.0' in metrics
    assert 'meatyapis_outbound_request_duration_seconds_count{target="identity"} 2.0' in metrics


def test_with_the_identity_service_down_writes_answer_503_and_the_circuit_opens(
    sqlite_url: str,
) -> None:
    app = identity_app(
        sqlite_url,
        f"http://{HOST}:{free_port()}",
        identity_breaker_failures=2,
        identity_breaker_cooldown_seconds=30,
    )
    client = app.test_client()
    auth = {"Authorization": "Bearer real-token"}
    first = client.post("/products", json=PRODUCT, headers=auth)
    assert first.status_code == 503
    assert first.headers["Retry-After"] == "30"  # two failed attempts opened the circuit
    assert json.loads(first.data)["status"] == 503
    second = client.post("/products", json=PRODUCT, headers=auth)
    assert second.status_code == 503
    assert "circuit open" in second.get_json()["detail"]
    assert client.get("/products").status_code == 200
    assert client.get("/readyz").status_code == 200
    metrics = metrics_text(client.application)
    assert 'meatyapis_circuit_breaker_state{target="identity"} 2.0' in metrics
    assert (
        'meatyapis_outbound_requests_total{outcome="rejected",status="none",target="identity"} 1.0'
        in metrics
    )


def test_without_metrics_the_identity_client_still_works(
    sqlite_url: str, identity: IdentityStub
) -> None:
    app = identity_app(sqlite_url, identity.url, metrics_enabled=False)
    client = app.test_client()
    response = client.post(
        "/products", json=PRODUCT, headers={"Authorization": "Bearer real-token"}
    )
    assert response.status_code == 201


def test_writes_fail_closed_when_no_verifier_is_installed(app: CatalogApp) -> None:
    app.token_verifier = None
    client = app.test_client()
    response = client.post("/products", json=PRODUCT, headers=BEARER)
    assert response.status_code == 503
    assert response.get_json()["detail"] == "no token verifier is configured"
    assert client.get("/products").get_json()["total"] == 0  # nothing was written


class CountingVerifier:
    def __init__(self) -> None:
        self.tokens: list[str] = []

    def verify(self, token: str) -> Caller:
        self.tokens.append(token)
        raise TokenRejected("token is not valid")


@pytest.mark.parametrize(
    "header",
    [
        "Bearer café".encode().decode("latin-1"),  # UTF-8 bytes, as a server hands them over
        "Bearer caf\xe9",
        "Bearer a b",
        "Bearer \u202etoken",
        "Bearer " + "x" * 5000,
        "Bearer tok\ten",
    ],
)
def test_a_token_no_header_can_carry_is_401_without_asking_the_verifier(
    app: CatalogApp, header: str
) -> None:
    verifier = CountingVerifier()
    app.token_verifier = verifier
    response = FlaskClient(app).post("/products", json=PRODUCT, headers={"Authorization": header})
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="catalog", error="invalid_token"'
    assert verifier.tokens == []


def test_a_non_ascii_token_is_401_on_the_real_identity_path(
    sqlite_url: str, identity: IdentityStub
) -> None:
    """The raw bytes of `Bearer café` through the WSGI environ, as gunicorn passes them."""
    app = identity_app(sqlite_url, identity.url)
    response = app.test_client().post(
        "/products",
        json=PRODUCT,
        environ_overrides={"HTTP_AUTHORIZATION": "Bearer café".encode().decode("latin-1")},
    )
    assert response.status_code == 401
    assert identity.calls == []


def test_products_record_who_created_and_last_changed_them(app: CatalogApp) -> None:
    client = app.test_client()
    created = client.post("/products", json=PRODUCT).get_json()
    assert (created["created_by"], created["updated_by"]) == ("alice", "alice")
    other = {"Authorization": f"Bearer {OTHER_EDITOR_TOKEN}"}
    changed = client.patch(f"/products/{created['id']}", json={"quantity": 9}, headers=other)
    assert (changed.get_json()["created_by"], changed.get_json()["updated_by"]) == ("alice", "bob")
    replaced = client.put(f"/products/{created['id']}", json=PRODUCT).get_json()
    assert (replaced["created_by"], replaced["updated_by"]) == ("alice", "alice")


def test_a_reader_can_read_but_never_write(app: CatalogApp) -> None:
    client = app.test_client()
    url = client.post("/products", json=PRODUCT).headers["Location"]
    reader = FlaskClient(app)
    auth = {"Authorization": f"Bearer {READER_TOKEN}"}
    assert reader.get(url, headers=auth).status_code == 200
    for method, body in (("put", PRODUCT), ("patch", {"quantity": 1}), ("delete", None)):
        refused = getattr(reader, method)(url, json=body, headers=auth)
        assert refused.status_code == 403, method
        assert 'error="insufficient_scope"' in refused.headers["WWW-Authenticate"]
    assert client.get(url).get_json()["quantity"] == PRODUCT["quantity"]
