"""`meatyapis-flask serve | migrate`: the container's entry points (see the chassis's cli)."""

from __future__ import annotations

import sys

from meatyapis_chassis.cli import Commands

from meatyapis_flask.settings import load_settings

COMMANDS = Commands(
    package="meatyapis_flask",
    description="MeatyAPIs catalog service (Flask)",
    load_settings=load_settings,
    # The full settings: a migration Job fails on the same bad variable as the server would.
    load_migration_settings=load_settings,
)
main = COMMANDS.main


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
