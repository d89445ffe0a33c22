"""`meatyapis-fastapi serve | migrate`: the container's commands."""

from __future__ import annotations

import argparse
import logging
import os
import sys

from meatyapis_fastapi.config import ConfigError, load_database_settings, load_settings
from meatyapis_fastapi.logging_config import configure_logging
from meatyapis_fastapi.migrate import upgrade

logger = logging.getLogger("meatyapis_fastapi.cli")

GUNICORN_CONFIG = "python:meatyapis_fastapi.gunicorn_conf"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="meatyapis-fastapi", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run gunicorn with uvicorn workers (replaces this)")
    serve.add_argument("gunicorn_args", nargs=argparse.REMAINDER, help="extra gunicorn options")
    commands.add_parser("migrate", help="apply the database migrations (safe to repeat)")
    args = parser.parse_args(argv)

    try:
        if args.command == "migrate":
            database_url = load_database_settings().database_url
            configure_logging("INFO")
            upgrade(database_url)
            logger.info("database is at the newest schema")
            return 0
        # Fail here, naming the variable, rather than in every worker; pass on the signing key
        # (DEV_MODE may have generated it) so that gunicorn and its workers share it.
        settings = load_settings()
    except ConfigError as err:
        print(f"meatyapis-fastapi: {err}", file=sys.stderr)
        return 2
    os.environ["TOKEN_SECRET"] = settings.token_secret.get_secret_value()
    argv_gunicorn = [sys.executable, "-m", "gunicorn", "--config", GUNICORN_CONFIG]
    os.execv(sys.executable, [*argv_gunicorn, *args.gunicorn_args])  # noqa: S606
    return 0  # pragma: no cover - execv does not return


if __name__ == "__main__":
    sys.exit(main())
