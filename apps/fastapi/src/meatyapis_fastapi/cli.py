"""`meatyapis-fastapi serve | migrate`: the container's commands (see the chassis's cli)."""

from __future__ import annotations

import sys

from meatyapis_chassis.cli import Commands

from meatyapis_fastapi.settings import (
    load_database_settings,
    load_settings,
    signing_key_environment,
)

COMMANDS = Commands(
    package="meatyapis_fastapi",
    description="MeatyAPIs identity service (FastAPI)",
    load_settings=load_settings,
    # Only the database: the migration Job needs no signing key.
    load_migration_settings=load_database_settings,
    serve_environment=signing_key_environment,
)
main = COMMANDS.main


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
