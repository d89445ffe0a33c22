"""The bare-framework baseline of the identity service: FastAPI with no middleware, metrics or
access log, served by the service's own gunicorn config and uvicorn worker.

`gunicorn --config python:meatyapis_fastapi.gunicorn_conf bench.bare_fastapi:app`

- `GET /hello`: FastAPI's hello world (`async def`, a dict).
- `GET /users/me`: the same work as the service's endpoint, written plainly: the bearer token's
  HS256 signature and claims checked with PyJWT, the user row and the token's revocation entry
  read by primary key through SQLAlchemy from DATABASE_URL (the user must still bear the
  token's name and generation), the row answered through the service's response model.
"""

from __future__ import annotations

import os
from typing import Annotated, Any

import jwt
from fastapi import FastAPI, Header, HTTPException
from meatyapis_fastapi.models import RevokedToken, User
from meatyapis_fastapi.schemas import UserOut
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

engine = create_engine(os.environ["DATABASE_URL"])
secret = os.environ["TOKEN_SECRET"]

app = FastAPI()


@app.get("/")
async def ready() -> dict[str, str]:
    return {"status": "ready"}


@app.get("/hello")
async def hello() -> dict[str, str]:
    return {"message": "Hello, World!"}


@app.get("/users/me", response_model=UserOut)
def me(authorization: Annotated[str, Header()]) -> Any:
    scheme, _, token = authorization.partition(" ")
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=["HS256"],
            issuer="meatyapis-fastapi",
            options={"require": ["exp", "iat", "sub", "jti", "iss", "gen"]},
        )
    except jwt.PyJWTError as err:
        raise HTTPException(401, str(err)) from err
    with Session(engine) as session:
        user = session.get(User, int(claims["sub"]))
        revoked = session.get(RevokedToken, claims["jti"]) is not None
    if (
        scheme.lower() != "bearer"
        or user is None
        or user.username != claims["username"]
        or user.token_generation != claims["gen"]
        or revoked
    ):
        raise HTTPException(401, "the token does not stand")
    return user
