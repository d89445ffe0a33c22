"""`meatyapis-fastapi serve | migrate | users`: the container's commands (see the chassis's cli
and accounts.py)."""

from __future__ import annotations

import sys

from meatyapis_chassis.cli import Commands

from meatyapis_fastapi.accounts import USERS_COMMAND, bootstrap_from_environment
from meatyapis_fastapi.settings import (
    load_bootstrap_settings,
    load_settings,
    signing_key_environment,
)

COMMANDS = Commands(
    package="meatyapis_fastapi",
    description="MeatyAPIs identity service (FastAPI)",
    load_settings=load_settings,
    # The database and the first administrator: the migration Job needs no signing key.
    load_migration_settings=load_bootstrap_settings,
    serve_environment=signing_key_environment,
    after_migrate=bootstrap_from_environment,
    extra_commands=(USERS_COMMAND,),
)
main = COMMANDS.main


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
