"""Alembic environment: the catalog's tables, migrated as the chassis runs every migration."""

from meatyapis_chassis.migrations import run_migrations

from meatyapis_flask.models import Base

run_migrations(Base.metadata)
