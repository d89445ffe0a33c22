"""`meatyapis-flask serve | migrate`: the container's entry points."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence

from meatyapis_flask.logs import configure_logging
from meatyapis_flask.settings import ConfigurationError, Settings, load_settings

GUNICORN_CONFIG = "python:meatyapis_flask.gunicorn_conf"

log = logging.getLogger("meatyapis_flask.cli")


def serve(settings: Settings, extra: Sequence[str]) -> None:
    """Replace this process with gunicorn, so it becomes PID 1 in a container."""
    argv = [sys.executable, "-m", "gunicorn", "--config", GUNICORN_CONFIG, *extra]
    os.execv(sys.executable, argv)  # noqa: S606 - fixed argv, no shell


def migrate(settings: Settings) -> None:
    from meatyapis_flask.migrate import upgrade

    log.info("migrating the database schema to head")
    upgrade(settings.database_url)
    log.info("database schema is up to date")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="meatyapis-flask", description="MeatyAPIs catalog service (Flask)"
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("serve", help="serve with gunicorn (extra arguments go to gunicorn)")
    commands.add_parser("migrate", help="apply database migrations (Alembic upgrade head)")
    args, extra = parser.parse_known_args(argv)
    if extra and args.command != "serve":
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    try:
        settings = load_settings()
    except ConfigurationError as err:
        print(f"meatyapis-flask: {err}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level)
    if args.command == "serve":
        serve(settings, extra)
    else:
        migrate(settings)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
