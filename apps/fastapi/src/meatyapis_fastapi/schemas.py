"""Request and response bodies of the API."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from email_validator import EmailNotValidError, validate_email
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictInt,
    WithJsonSchema,
    field_validator,
)

from meatyapis_fastapi.roles import DEFAULT_ROLE, Role
from meatyapis_fastapi.settings import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, USERNAME_PATTERN

# JSON numbers beyond 64 bits lose precision in most clients; refuse them rather than round.
Int64 = Annotated[StrictInt, Field(ge=-(2**63), le=2**63 - 1)]
Username = Annotated[str, Field(pattern=USERNAME_PATTERN, examples=["ada_lovelace"])]


def _email(value: str) -> str:
    """A syntactically valid address (no DNS lookup), normalized and lower-cased.

    Reserved domains are refused, except `.test` (RFC 6761 names it for testing).
    """
    try:
        checked = validate_email(value, check_deliverability=False, test_environment=True)
    except EmailNotValidError as err:
        raise ValueError(f"not a valid email address: {err}") from None
    return checked.normalized.lower()


Email = Annotated[
    str,
    Field(max_length=320),
    AfterValidator(_email),
    WithJsonSchema({"type": "string", "format": "email", "maxLength": 320}),
]
Password = Annotated[
    str,
    Field(
        min_length=MIN_PASSWORD_LENGTH,
        max_length=MAX_PASSWORD_LENGTH,
        examples=["correct horse battery"],
    ),
]


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Welcome(BaseModel):
    Welcome: str


class Message(BaseModel):
    message: str


class AddRequest(StrictModel):
    a: Int64
    b: Int64


class AddResult(BaseModel):
    result: int


class RegisterRequest(StrictModel):
    username: Username
    email: Email
    password: Password


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    username: str
    email: str
    role: Role = DEFAULT_ROLE
    created_at: datetime

    @field_validator("created_at")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        """SQLite hands back naive datetimes; every timestamp the service stores is UTC."""
        return value if value.tzinfo else value.replace(tzinfo=UTC)


def _no_nul(value: str) -> str:
    """No username holds NUL (see Username), and PostgreSQL text cannot hold it at all."""
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


class LoginRequest(StrictModel):
    username: Annotated[str, Field(min_length=1, max_length=128), AfterValidator(_no_nul)]
    password: Annotated[str, Field(min_length=1, max_length=128)]
    scope: Annotated[
        str | None,
        Field(
            max_length=1024,
            description="Space-separated scopes asked for (default: all the user's role grants).",
        ),
    ] = None


class TokenResponse(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 - the OAuth2 token type
    expires_in: int
    scope: str = Field(description="The scopes granted, space-separated (may be empty).")


class TokenClaims(BaseModel):
    sub: str
    username: str
    iss: str
    iat: int
    exp: int
    jti: str
    scope: str = Field(
        "", description="The token's scopes that the user's role still grants, space-separated."
    )


class Info(BaseModel):
    info: str


class Health(BaseModel):
    status: str
