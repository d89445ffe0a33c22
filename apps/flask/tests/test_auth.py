"""The bearer-token seam around product writes."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from meatyapis_flask.auth import TokenRejected, install_token_verifier

PRODUCT = {"name": "Tri-tip", "price": "12.00", "quantity": 2}


class OneTokenVerifier:
    """Accepts exactly one token: the contract a real verifier implements."""

    def verify(self, token: str) -> str:
        if token != "good-token":
            raise TokenRejected("token is not valid")
        return "alice"


def test_writes_are_open_until_a_verifier_is_installed(client: FlaskClient) -> None:
    assert client.post("/products", json=PRODUCT).status_code == 201


def test_with_a_verifier_writes_need_a_valid_bearer_token(app: Flask) -> None:
    install_token_verifier(app, OneTokenVerifier())
    client = app.test_client()
    missing = client.post("/products", json=PRODUCT)
    assert missing.status_code == 401
    assert missing.mimetype == "application/problem+json"
    assert missing.headers["WWW-Authenticate"].startswith("Bearer")
    wrong_scheme = client.post("/products", json=PRODUCT, headers={"Authorization": "Basic x"})
    assert wrong_scheme.status_code == 401
    rejected = client.post("/products", json=PRODUCT, headers={"Authorization": "Bearer nope"})
    assert rejected.status_code == 401
    assert rejected.get_json()["detail"] == "token is not valid"
    ok = client.post("/products", json=PRODUCT, headers={"Authorization": "Bearer good-token"})
    assert ok.status_code == 201
    url = ok.headers["Location"]
    assert client.delete(url).status_code == 401
    assert client.get(url).status_code == 200  # reads stay open
    assert client.delete(url, headers={"Authorization": "bearer good-token"}).status_code == 204
