"""Taking tokens back before they expire: one token (its `jti` on a denylist until its `exp`),
or every token of a user (the user's token generation raised; tokens carry the one they were
issued in). `dependencies.current_caller` refuses both."""

from __future__ import annotations

from sqlalchemy import delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from meatyapis_fastapi.models import RevokedToken, User
from meatyapis_fastapi.usernames import canonical


def revoke_token(session: Session, jti: str, expires_at: float, now: float) -> None:
    """Deny the token `jti` until `expires_at` (once it has expired, its entry goes)."""
    session.execute(delete(RevokedToken).where(RevokedToken.expires_at <= now))
    values = {"jti": jti, "expires_at": expires_at}
    insert = (
        postgresql.insert(RevokedToken)
        if session.get_bind().dialect.name == "postgresql"
        else sqlite.insert(RevokedToken)
    )
    session.execute(insert.values(values).on_conflict_do_nothing(index_elements=["jti"]))


def revoke_all_tokens(session: Session, user_id: int) -> int | None:
    """Revoke every token issued to the user so far; the new generation, None without user."""
    generation: int | None = session.scalar(
        update(User)
        .where(User.id == user_id)
        .values(token_generation=User.token_generation + 1)
        .returning(User.token_generation)
    )
    return generation


def find_user_id(session: Session, username: str) -> int | None:
    user_id: int | None = session.scalar(
        select(User.id).where(User.username_key == canonical(username))
    )
    return user_id
