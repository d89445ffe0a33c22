"""Tokens that can be taken back: a token generation per user, and revoked token ids.

Raising a user's `token_generation` revokes every token issued before; `revoked_tokens` holds
the ids (`jti`) of single tokens revoked by `POST /logout`, each until its own expiry.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# A rebuilt SQLite table keeps AUTOINCREMENT only when told (reflection does not see it).
KEEP_AUTOINCREMENT = {"sqlite_autoincrement": True}


def upgrade() -> None:
    with op.batch_alter_table("users", table_kwargs=KEEP_AUTOINCREMENT) as users:
        users.add_column(
            sa.Column("token_generation", sa.Integer(), nullable=False, server_default="0")
        )
    op.create_table(
        "revoked_tokens",
        sa.Column("jti", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("jti", name=op.f("pk_revoked_tokens")),
    )
    op.create_index(
        op.f("ix_revoked_tokens_expires_at"), "revoked_tokens", ["expires_at"], unique=False
    )


def downgrade() -> None:
    op.drop_table("revoked_tokens")
    with op.batch_alter_table("users", table_kwargs=KEEP_AUTOINCREMENT) as users:
        users.drop_column("token_generation")
