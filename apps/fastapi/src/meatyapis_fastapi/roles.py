"""Roles and the scopes they grant: what a user may do, carried in the user's tokens.

Every user has one role. A token carries the scopes of its user's role (OAuth2 `scope`, space
separated, RFC 6749 §3.3), or the subset the client asked for; `/verify` answers with the scopes
the token has *and* the user's role still grants, so a revoked role stops writing as soon as
the catalog's token cache forgets the token (`IDENTITY_CACHE_TTL_SECONDS`).
"""

from __future__ import annotations

from typing import Final, Literal, get_args

Role = Literal["reader", "editor", "admin"]
ROLES: Final[tuple[Role, ...]] = get_args(Role)
DEFAULT_ROLE: Final[Role] = "reader"
ADMIN: Final[Role] = "admin"

CATALOG_WRITE = "catalog:write"
# What each scope allows (also the OAuth2 scheme's scope list in the OpenAPI document).
SCOPES: Final[dict[str, str]] = {
    CATALOG_WRITE: "Create, change and delete products in the catalog.",
}
GRANTS: Final[dict[Role, tuple[str, ...]]] = {
    "reader": (),
    "editor": (CATALOG_WRITE,),
    "admin": (CATALOG_WRITE,),
}


def scopes_of(role: str) -> tuple[str, ...]:
    """The scopes `role` grants; an unknown role (a value from the future) grants none."""
    return GRANTS.get(role, ())  # type: ignore[call-overload,no-any-return]


def parse_scope(scope: str | None) -> list[str]:
    """The scope tokens of an OAuth2 `scope` string, in order, each once."""
    return list(dict.fromkeys((scope or "").split()))


def format_scope(scopes: tuple[str, ...] | list[str]) -> str:
    return " ".join(scopes)
