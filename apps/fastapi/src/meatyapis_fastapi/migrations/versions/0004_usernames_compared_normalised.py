"""Usernames compare after normalisation: `username_key` (NFKC, casefold), unique.

Existing usernames that normalise alike (`Ada` and `ada`) would be one account: the migration
then refuses to run, naming the rows, so an operator decides which to rename or delete.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections import defaultdict

import sqlalchemy as sa
from alembic import op

from meatyapis_fastapi.usernames import canonical

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# A rebuilt SQLite table keeps AUTOINCREMENT only when told (reflection does not see it).
KEEP_AUTOINCREMENT = {"sqlite_autoincrement": True}

users = sa.table(
    "users",
    sa.column("id", sa.Integer()),
    sa.column("username", sa.String()),
    sa.column("username_key", sa.String()),
)


class UsernameCollision(RuntimeError):
    """Existing users whose names are one name once normalised."""


def upgrade() -> None:
    bind = op.get_bind()
    keys: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for user_id, username in bind.execute(
        sa.select(users.c.id, users.c.username).order_by(users.c.id)
    ):
        keys[canonical(username)].append((user_id, username))
    collisions = {key: rows for key, rows in keys.items() if len(rows) > 1}
    if collisions:
        described = "; ".join(
            f"{key!r}: " + ", ".join(f"id {user_id} {name!r}" for user_id, name in rows)
            for key, rows in sorted(collisions.items())
        )
        raise UsernameCollision(
            "usernames that are the same once normalised (NFKC, casefold) belong to different "
            f"users; rename or delete all but one of each, then migrate again: {described}"
        )
    with op.batch_alter_table("users", table_kwargs=KEEP_AUTOINCREMENT) as batch:
        batch.add_column(sa.Column("username_key", sa.String(length=32), nullable=True))
    for key, [(user_id, _name)] in keys.items():
        bind.execute(sa.update(users).where(users.c.id == user_id).values(username_key=key))
    with op.batch_alter_table("users", table_kwargs=KEEP_AUTOINCREMENT) as batch:
        batch.alter_column("username_key", existing_type=sa.String(length=32), nullable=False)
        batch.drop_constraint("uq_users_username", type_="unique")
        batch.create_unique_constraint(batch.f("uq_users_username_key"), ["username_key"])


def downgrade() -> None:
    with op.batch_alter_table("users", table_kwargs=KEEP_AUTOINCREMENT) as batch:
        batch.drop_constraint("uq_users_username_key", type_="unique")
        batch.create_unique_constraint(batch.f("uq_users_username"), ["username"])
        batch.drop_column("username_key")
