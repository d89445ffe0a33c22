"""`meatyapis-fastapi serve | migrate | users | revoke-tokens`: the container commands (see the
chassis cli and accounts.py)."""

from __future__ import annotations

import argparse
import sys

from meatyapis_chassis.cli import Command, Commands
from meatyapis_chassis.database import Database
from meatyapis_chassis.logs import configure_logging

from meatyapis_fastapi.accounts import USERS_COMMAND, bootstrap_from_environment
from meatyapis_fastapi.revocation import find_user_id, revoke_all_tokens
from meatyapis_fastapi.settings import (
    load_bootstrap_settings,
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


def _revoke_tokens_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("username", help="the user, compared as at login (NFKC, casefold)")


COMMANDS = Commands(
    package="meatyapis_fastapi",
    description="MeatyAPIs identity service (FastAPI)",
    load_settings=load_settings,
    # The database and the first administrator: the migration Job needs no signing key.
    load_migration_settings=load_bootstrap_settings,
    serve_environment=signing_key_environment,
    after_migrate=bootstrap_from_environment,
    extra_commands=(
        USERS_COMMAND,
        Command(
            "revoke-tokens",
            "revoke every token of a user issued until now (reads DATABASE_URL only)",
            _revoke_tokens_arguments,
            revoke_tokens,
        ),
    ),
)
main = COMMANDS.main


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
