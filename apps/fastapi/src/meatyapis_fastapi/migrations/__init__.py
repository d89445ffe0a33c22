"""Alembic environment and revisions of the identity database."""
