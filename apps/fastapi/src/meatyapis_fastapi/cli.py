"""`meatyapis-fastapi serve | migrate | revoke-tokens`: the container's commands (see the
chassis's cli)."""

from __future__ import annotations

import argparse
import sys

from meatyapis_chassis.cli import Command, Commands
from meatyapis_chassis.database import Database
from meatyapis_chassis.logs import configure_logging

from meatyapis_fastapi.revocation import find_user_id, revoke_all_tokens
from meatyapis_fastapi.settings import (
    load_database_settings,
    load_settings,
    signing_key_environment,
)


def revoke_tokens(args: argparse.Namespace) -> int:
    """Revoke every token of a user issued so far (a stolen device, a left employee)."""
    settings = load_database_settings()
    configure_logging(settings.log_level)
    database = Database(settings.database_url)
    try:
        with database.write() as session:
            user_id = find_user_id(session, args.username)
            generation = revoke_all_tokens(session, user_id) if user_id is not None else None
    finally:
        database.dispose()
    if generation is None:
        print(f"meatyapis-fastapi: no user named {args.username!r}", file=sys.stderr)
        return 1
    print(f"revoked every token of {args.username!r} issued until now")
    return 0


COMMANDS = Commands(
    package="meatyapis_fastapi",
    description="MeatyAPIs identity service (FastAPI)",
    load_settings=load_settings,
    # Only the database: the migration Job needs no signing key.
    load_migration_settings=load_database_settings,
    serve_environment=signing_key_environment,
    extra_commands=[
        Command(
            "revoke-tokens",
            "revoke every token of a user issued until now (reads DATABASE_URL only)",
            [("username", "the user, compared as at login (NFKC, casefold)")],
            revoke_tokens,
        )
    ],
)
main = COMMANDS.main


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
