"""Alembic environment and revisions; `meatyapis-flask migrate` applies them."""
