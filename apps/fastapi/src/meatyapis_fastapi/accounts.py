"""Roles of users, managed from the command line, and the first administrator.

`meatyapis-fastapi users grant <username> <role>` gives a user a role (`reader`, `editor`,
`admin`), `users revoke <username> <role>` takes it back (the user is a reader again), `users
list` shows every user's role. They read only DATABASE_URL, as `migrate` does; run them where
the service runs (`kubectl exec deploy/<release>-meatyapis-fastapi -- meatyapis-fastapi users …`).
The last administrator cannot be revoked or demoted, so the service always has one once it had.

`migrate` adds the first administrator when BOOTSTRAP_ADMIN_USERNAME is set (with
BOOTSTRAP_ADMIN_PASSWORD; never a default): a user created with that password if absent, given
the admin role if present — an existing user's password is never changed.
"""

from __future__ import annotations

import argparse
import logging
import sys

from meatyapis_chassis.cli import Command
from meatyapis_chassis.database import Database
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from meatyapis_fastapi.models import User
from meatyapis_fastapi.roles import ADMIN, DEFAULT_ROLE, ROLES, scopes_of
from meatyapis_fastapi.security import Passwords
from meatyapis_fastapi.settings import load_bootstrap_settings, load_database_settings
from meatyapis_fastapi.usernames import canonical

log = logging.getLogger(__name__)


class AccountError(Exception):
    """A role change that cannot be made; the message says why."""


def _user(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username_key == canonical(username)))
    if user is None:
        raise AccountError(f"no user named {username!r}")
    return user


def _keep_an_admin(session: Session, user: User, new_role: str) -> None:
    if user.role == ADMIN and new_role != ADMIN:
        admins = session.scalar(select(func.count()).where(User.role == ADMIN)) or 0
        if admins <= 1:
            raise AccountError(f"{user.username!r} is the last admin: grant admin to another first")


def grant(session: Session, username: str, role: str) -> tuple[str, str]:
    """Give `username` the role `role`; returns (old role, new role)."""
    if role not in ROLES:
        raise AccountError(f"unknown role {role!r}: one of {', '.join(ROLES)}")
    user = _user(session, username)
    old = user.role
    _keep_an_admin(session, user, role)
    user.role = role
    session.commit()
    return old, role


def revoke(session: Session, username: str, role: str) -> tuple[str, str]:
    """Take `role` from `username`, who becomes a reader; returns (old role, new role)."""
    user = _user(session, username)
    if user.role != role:
        raise AccountError(f"{username!r} does not have the role {role!r} (has {user.role!r})")
    if role == DEFAULT_ROLE:
        raise AccountError(f"{DEFAULT_ROLE!r} is every user's default role: grant another instead")
    _keep_an_admin(session, user, DEFAULT_ROLE)
    user.role = DEFAULT_ROLE
    session.commit()
    return role, DEFAULT_ROLE


def bootstrap_admin(
    session: Session, passwords: Passwords, username: str, password: str, email: str
) -> str:
    """Make sure `username` exists and is an admin; returns what was done."""
    user = session.scalar(select(User).where(User.username_key == canonical(username)))
    if user is None:
        session.add(
            User(
                username=username,
                username_key=canonical(username),
                email=(email or f"{username}@localhost").lower(),
                password_hash=passwords.hash(password),
                role=ADMIN,
            )
        )
        try:
            session.commit()
        except IntegrityError:  # another migrate run created it meanwhile, or the email is taken
            session.rollback()
            user = _user(session, username)
        else:
            return "created"
    if user.role == ADMIN:
        return "already an admin"
    user.role = ADMIN
    session.commit()
    return "granted admin (password unchanged)"


def bootstrap_from_environment() -> None:
    """`migrate`'s last step: the administrator of BOOTSTRAP_ADMIN_USERNAME, when set."""
    settings = load_bootstrap_settings()
    if settings.bootstrap_admin_username is None:
        return
    assert settings.bootstrap_admin_password is not None  # the settings require it
    database = Database(settings.database_url)
    try:
        with database.session() as session:
            done = bootstrap_admin(
                session,
                Passwords.from_settings(settings),
                settings.bootstrap_admin_username,
                settings.bootstrap_admin_password.get_secret_value(),
                settings.bootstrap_admin_email,
            )
    finally:
        database.dispose()
    log.info("bootstrap admin %s: %s", settings.bootstrap_admin_username, done)


def _add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", required=True)
    for action, text in (("grant", "give a user a role"), ("revoke", "take a role back")):
        sub = actions.add_parser(action, help=text)
        sub.add_argument("username")
        sub.add_argument("role", choices=ROLES)
    actions.add_parser("list", help="every user with their role")


def _run(args: argparse.Namespace) -> int:
    database = Database(load_database_settings().database_url)
    try:
        with database.session() as session:
            if args.action == "list":
                for username, role in session.execute(
                    select(User.username, User.role).order_by(User.username)
                ):
                    print(f"{username}\t{role}\t{' '.join(scopes_of(role))}")
                return 0
            change = grant if args.action == "grant" else revoke
            old, new = change(session, args.username, args.role)
    except AccountError as err:
        print(f"meatyapis-fastapi users: {err}", file=sys.stderr)
        return 1
    finally:
        database.dispose()
    scopes = " ".join(scopes_of(new)) or "no scopes"
    print(f"{args.username}: {old} -> {new} ({scopes}; new tokens carry it, /verify at once)")
    return 0


USERS_COMMAND = Command(
    name="users",
    help="manage users' roles: grant <user> <role>, revoke <user> <role>, list",
    add_arguments=_add_arguments,
    run=_run,
)
