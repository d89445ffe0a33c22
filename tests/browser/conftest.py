"""Both services really running (gunicorn, SQLite in a temporary folder) for the browser."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bench import services


@dataclass
class Stack:
    identity: services.Service
    catalog: services.Service
    screenshots: Path


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    tmp = tmp_path_factory.mktemp("browser")
    identity_env = services.fastapi_env(tmp / "identity", services.fastapi_database(tmp / "idb"))
    identity = services.fastapi_gunicorn("identity", tmp / "identity", identity_env)
    catalog_env = services.flask_env(
        tmp / "catalog", services.flask_database(tmp / "cdb"), IDENTITY_URL=identity.url
    )
    catalog = services.flask_gunicorn("catalog", tmp / "catalog", catalog_env)
    screenshots = tmp / "screenshots"
    with identity, catalog:
        yield Stack(identity, catalog, screenshots)
    print(f"\nscreenshots: {screenshots}")
