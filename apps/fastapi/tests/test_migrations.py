"""The migrations on existing data, SQLite and PostgreSQL: the schema they build is the models',
ids stay unique after the switch to never reusing them, and usernames that collide once
normalised stop the migration, naming the rows."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from meatyapis_chassis.migrations import upgrade
from meatyapis_fastapi.models import Base
from sqlalchemy import Engine, create_engine, text

from apps.fastapi.tests.helpers import migrate

PACKAGE = "meatyapis_fastapi"


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request: pytest.FixtureRequest, tmp_path: object) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/identity.db"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def engine(empty_url: str) -> Engine:
    created = create_engine(empty_url)
    yield created  # type: ignore[misc]
    created.dispose()


def add_users(engine: Engine, *names: str) -> None:
    with engine.begin() as connection:
        for name in names:
            connection.execute(
                text(
                    "INSERT INTO users (username, email, password_hash, created_at) "
                    "VALUES (:name, :email, 'x', CURRENT_TIMESTAMP)"
                ),
                {"name": name, "email": f"{name}@example.com"},
            )


def version(engine: Engine) -> str:
    with engine.connect() as connection:
        return str(connection.scalar(text("SELECT version_num FROM alembic_version")))


def test_the_schema_is_the_models(empty_url: str, engine: Engine) -> None:
    migrate(empty_url)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def test_existing_users_keep_their_ids_and_new_ones_never_reuse_one(
    empty_url: str, engine: Engine
) -> None:
    upgrade(empty_url, PACKAGE, "0001")
    add_users(engine, "ada", "bob", "carol")
    migrate(empty_url)
    with engine.begin() as connection:
        rows = connection.execute(text("SELECT id, username_key FROM users ORDER BY id")).all()
        assert [tuple(row) for row in rows] == [(1, "ada"), (2, "bob"), (3, "carol")]
        connection.execute(text("DELETE FROM users WHERE id = 3"))
        connection.execute(
            text(
                "INSERT INTO users (username, username_key, email, password_hash, created_at) "
                "VALUES ('dave', 'dave', 'dave@example.com', 'x', CURRENT_TIMESTAMP)"
            )
        )
        assert connection.scalar(text("SELECT id FROM users WHERE username = 'dave'")) == 4


def test_colliding_usernames_stop_the_migration_naming_the_rows(
    empty_url: str, engine: Engine
) -> None:
    upgrade(empty_url, PACKAGE, "0003")
    add_users(engine, "ada", "Ada", "bob", "BOB", "carol")
    with pytest.raises(RuntimeError) as refused:
        migrate(empty_url)
    message = str(refused.value)
    assert "rename or delete" in message
    assert "'ada': id 1 'ada', id 2 'Ada'" in message
    assert "'bob': id 3 'bob', id 4 'BOB'" in message
    assert "carol" not in message
    assert version(engine) == "0003"
    with engine.begin() as connection:
        connection.execute(text("UPDATE users SET username = 'ada2' WHERE id = 2"))
        connection.execute(text("DELETE FROM users WHERE id = 4"))
    migrate(empty_url)
    assert version(engine) == "0005"  # head: the rest ran too
