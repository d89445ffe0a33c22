"""Alembic environment: the identity tables, migrated as the chassis runs every migration."""

from meatyapis_chassis.migrations import run_migrations

from meatyapis_fastapi.models import Base

run_migrations(Base.metadata)
