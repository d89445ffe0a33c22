"""The `<service> serve | migrate` command both container images run.

`serve` validates the environment, then replaces this process with gunicorn (so it becomes
PID 1 in a container); extra arguments go to gunicorn. `migrate` applies the migrations that
ship in the service's package, then the service's own step after them, if any. A service may
add commands of its own (`Command`). A bad environment variable exits with status 2, naming it.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from meatyapis_chassis.logs import configure_logging
from meatyapis_chassis.migrations import upgrade
from meatyapis_chassis.settings import ConfigurationError, MigrationSettings, ServiceSettings

log = logging.getLogger(__name__)

SettingsT = TypeVar("SettingsT", bound=ServiceSettings)


def _no_environment(_settings: ServiceSettings) -> Mapping[str, str]:
    return {}


@dataclass(frozen=True)
class Command:
    """A command of the service's own: its arguments, and what runs it (its exit status)."""

    name: str
    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]


@dataclass(frozen=True)
class Commands(Generic[SettingsT]):
    """What the command needs to know of one service."""

    package: str  # holds `gunicorn_conf` and `migrations`; the command is its name with dashes
    description: str
    load_settings: Callable[[], SettingsT]
    load_migration_settings: Callable[[], MigrationSettings]
    # Variables to hand to gunicorn and its workers (values the settings derived at start-up).
    serve_environment: Callable[[SettingsT], Mapping[str, str]] = _no_environment
    # Runs after the migrations, in the same command (e.g. seeding what the schema needs).
    after_migrate: Callable[[], None] | None = None
    extra_commands: Sequence[Command] = ()

    @property
    def prog(self) -> str:
        return self.package.replace("_", "-")

    @property
    def gunicorn_config(self) -> str:
        return f"python:{self.package}.gunicorn_conf"

    def serve(self, extra: Sequence[str]) -> None:
        settings = self.load_settings()
        configure_logging(settings.log_level)
        os.environ.update(self.serve_environment(settings))
        argv = [sys.executable, "-m", "gunicorn", "--config", self.gunicorn_config, *extra]
        os.execv(sys.executable, argv)  # noqa: S606 - fixed argv, no shell

    def migrate(self) -> None:
        settings = self.load_migration_settings()
        configure_logging(settings.log_level)
        log.info("migrating the database schema to head")
        upgrade(settings.database_url, self.package)
        log.info("database schema is up to date")
        if self.after_migrate is not None:
            self.after_migrate()

    def main(self, argv: Sequence[str] | None = None) -> int:
        parser = argparse.ArgumentParser(prog=self.prog, description=self.description)
        commands = parser.add_subparsers(dest="command", required=True)
        commands.add_parser("serve", help="serve with gunicorn (extra arguments go to gunicorn)")
        commands.add_parser("migrate", help="apply database migrations (Alembic upgrade head)")
        own = {command.name: command for command in self.extra_commands}
        for command in self.extra_commands:
            command.add_arguments(commands.add_parser(command.name, help=command.help))
        args, extra = parser.parse_known_args(argv)
        if extra and args.command != "serve":
            parser.error(f"unrecognized arguments: {' '.join(extra)}")
        try:
            if args.command == "serve":
                self.serve(extra)
            elif args.command == "migrate":
                self.migrate()
            else:
                return own[args.command].run(args)
        except ConfigurationError as err:
            print(f"{self.prog}: {err}", file=sys.stderr)
            return 2
        return 0
