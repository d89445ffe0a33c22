"""A role per user: every existing user becomes a reader.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "users", sa.Column("role", sa.String(16), nullable=False, server_default="reader")
    )


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("role")
