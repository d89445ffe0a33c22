"""Product ids never reused (SQLite AUTOINCREMENT), who created and last changed a product,
and the client that first checked a name in.

The products table is rebuilt on SQLite with AUTOINCREMENT; its sequence starts at the highest
id the table holds (ids deleted above it before this migration cannot be known, and may be used
once more). PostgreSQL's sequences never reuse an id: there the columns are only added.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    with op.batch_alter_table(
        "products",
        recreate="always" if sqlite else "auto",
        table_kwargs={"sqlite_autoincrement": True},
    ) as batch:
        batch.add_column(sa.Column("created_by", sa.String(128), nullable=True))
        batch.add_column(sa.Column("updated_by", sa.String(128), nullable=True))
    op.add_column("checkins", sa.Column("client", sa.String(64), nullable=True))
    op.create_index("ix_checkins_client", "checkins", ["client"])


def downgrade() -> None:
    op.drop_index("ix_checkins_client", "checkins")
    with op.batch_alter_table("checkins") as batch:
        batch.drop_column("client")
    with op.batch_alter_table("products") as batch:
        batch.drop_column("updated_by")
        batch.drop_column("created_by")
