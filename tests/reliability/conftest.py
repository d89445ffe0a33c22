"""Both services really running (gunicorn on 127.0.0.1), wired together as in production:
the catalog's IDENTITY_URL points at the identity service, writes carry a real bearer token.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from bench import services
from bench.services import Service


@dataclass
class Stack:
    identity: Service
    catalog: Service
    token: str
    product_id: int

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """Identity and catalog on SQLite, one seeded product, a token of a registered user."""
    tmp = tmp_path_factory.mktemp("stack")
    catalog_db = services.flask_database(tmp / "catalog" / "db")
    product_id = services.seed_product(catalog_db)
    with services.identity_service(tmp / "identity") as identity:
        token = services.register_and_login(identity)
        with services.catalog_service(tmp / "catalog", identity.url, catalog_db) as catalog:
            yield Stack(identity, catalog, token, product_id)
