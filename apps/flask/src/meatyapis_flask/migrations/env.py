"""Alembic environment: the URL comes from the config that `meatyapis_flask.migrate` builds."""

from __future__ import annotations

from alembic import context
from sqlalchemy import text

from meatyapis_flask.db import build_engine
from meatyapis_flask.models import Base

# Serialises concurrent `migrate` runs (e.g. two hook Jobs) on PostgreSQL.
_PG_LOCK_ID = 0x4D454154  # "MEAT"


def run_migrations_online() -> None:
    engine = build_engine(context.config.get_main_option("sqlalchemy.url", ""))
    try:
        with engine.connect() as connection:
            postgres = connection.dialect.name == "postgresql"
            if postgres:
                connection.execute(text("SELECT pg_advisory_lock(:id)"), {"id": _PG_LOCK_ID})
                connection.commit()
            context.configure(
                connection=connection,
                target_metadata=Base.metadata,
                render_as_batch=connection.dialect.name == "sqlite",
                compare_type=True,
            )
            with context.begin_transaction():
                context.run_migrations()
            if postgres:
                connection.execute(text("SELECT pg_advisory_unlock(:id)"), {"id": _PG_LOCK_ID})
                connection.commit()
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported")
run_migrations_online()
