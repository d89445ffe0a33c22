"""Made-up request methods are refused before the app, so they add no metric series."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from .conftest import metrics_text


@pytest.mark.parametrize("method", ["FOO", "XKCDQ", "PROPFIND"])
def test_an_unknown_method_gets_405_problem_details(client: FlaskClient, method: str) -> None:
    response = client.open("/hello", method=method)
    assert response.status_code == 405
    assert response.content_type == "application/problem+json"
    assert "GET" in response.headers["Allow"]
    assert method not in metrics_text(client.application)


def test_known_methods_still_reach_the_routes(client: FlaskClient) -> None:
    assert client.get("/hello").status_code == 200
    assert client.open("/hello", method="DELETE").status_code == 405  # routing's own 405
