"""Alembic migrations that ship inside a service's package (`<package>/migrations`), applied by
its `migrate` command; running them again is a no-op."""

from __future__ import annotations

import logging

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData, text

from meatyapis_chassis.database import build_engine

# Serialises concurrent `migrate` runs (e.g. two hook Jobs) on PostgreSQL.
PG_LOCK_ID = 0x4D454154  # "MEAT"


def alembic_config(database_url: str, package: str) -> Config:
    config = Config()
    config.set_main_option("script_location", f"{package}:migrations")
    # ConfigParser interpolation: a literal % in a password must be doubled.
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(database_url: str, package: str, revision: str = "head") -> None:
    """Bring the schema of `package` to `revision`."""
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    command.upgrade(alembic_config(database_url, package), revision)


def run_migrations(metadata: MetaData) -> None:
    """The body of a service's `migrations/env.py`: online only, one runner at a time."""
    if context.is_offline_mode():
        raise SystemExit("offline (--sql) migrations are not supported")
    engine = build_engine(context.config.get_main_option("sqlalchemy.url", ""))
    try:
        with engine.connect() as connection:
            postgres = connection.dialect.name == "postgresql"
            if postgres:
                connection.execute(text("SELECT pg_advisory_lock(:id)"), {"id": PG_LOCK_ID})
                connection.commit()
            context.configure(
                connection=connection,
                target_metadata=metadata,
                render_as_batch=connection.dialect.name == "sqlite",
                compare_type=True,
            )
            with context.begin_transaction():
                context.run_migrations()
            if postgres:
                connection.execute(text("SELECT pg_advisory_unlock(:id)"), {"id": PG_LOCK_ID})
                connection.commit()
    finally:
        engine.dispose()
