"""Products: paginated list, create, read, replace, patch, delete.

Writes are optimistic-concurrency safe: the version check of `If-Match` is part of the UPDATE's
WHERE clause, so of two writers holding the same ETag exactly one wins and the other gets 412,
whichever worker or database connection each one runs on. The ETag is `"<id>-<version>"`: ids
are never reused and every write bumps the version, so an ETag names one representation of one
product, and one of a deleted product never validates for another.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, jsonify, request, url_for
from meatyapis_chassis.problems import FieldError, Problem, validation_problem
from sqlalchemy import Select, delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from meatyapis_flask.auth import WRITE_SCOPE, current_caller, require_scope
from meatyapis_flask.catalog_app import database
from meatyapis_flask.models import Product
from meatyapis_flask.payloads import body
from meatyapis_flask.schemas import ProductIn, ProductPatch

bp = Blueprint("products", __name__)

MAX_ID = 2**31 - 1
DEFAULT_LIMIT = 20
MAX_LIMIT = 100
MAX_OFFSET = 2**31 - 1
_DIGITS = re.compile(r"[0-9]{1,10}")
_ENTITY_TAG = re.compile(r'(W/)?"([^"]*)"')
_PRODUCT_TAG = re.compile(r"([0-9]{1,10})-([0-9]{1,10})")


def etag(product: Product) -> str:
    return f'"{product.id}-{product.version}"'


def _timestamp(value: datetime) -> str:
    if value.tzinfo is None:  # SQLite hands back naive UTC
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def representation(product: Product) -> dict[str, Any]:
    return {
        "id": product.id,
        "name": product.name,
        "price": f"{product.price:.2f}",
        "quantity": product.quantity,
        "version": product.version,
        "created_at": _timestamp(product.created_at),
        "created_by": product.created_by,
        "updated_at": _timestamp(product.updated_at),
        "updated_by": product.updated_by,
    }


def _product_response(product: Product, status: int = 200) -> Response:
    response = jsonify(representation(product))
    response.status_code = status
    response.headers["ETag"] = etag(product)
    return response


def _not_found(product_id: int) -> Problem:
    return Problem(404, f"product {product_id} does not exist", "not-found")


def _query_int(name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    if not _DIGITS.fullmatch(raw) or not low <= int(raw) <= high:
        raise validation_problem(
            [FieldError(field=name, message=f"must be an integer from {low} to {high}")]
        )
    return int(raw)


def _entity_tags(header: str) -> list[tuple[bool, str]]:
    """(weak, opaque value) of each entity tag in an If-Match / If-None-Match list."""
    return [(bool(weak), value) for weak, value in _ENTITY_TAG.findall(header)]


def _versions(product_id: int, tags: list[tuple[bool, str]]) -> set[int]:
    """The versions of product `product_id` that entity tags name (tags of others name none)."""
    versions = set()
    for _weak, value in tags:
        match = _PRODUCT_TAG.fullmatch(value)
        if match is not None and int(match[1]) == product_id:
            versions.add(int(match[2]))
    return versions


def _expected_versions(product_id: int) -> set[int] | None:
    """The versions If-Match allows: None when absent or `*` (any current version).

    If-Match uses the strong comparison (RFC 9110 13.1.1): weak tags never match.
    """
    header = request.headers.get("If-Match")
    if header is None or header.strip() == "*":
        return None
    return _versions(product_id, [tag for tag in _entity_tags(header) if not tag[0]])


def _none_match(product: Product) -> bool:
    """If-None-Match uses the weak comparison (RFC 9110 13.1.2)."""
    header = request.headers.get("If-None-Match")
    if header is None:
        return False
    if header.strip() == "*":
        return True
    return product.version in _versions(product.id, _entity_tags(header))


def _unique_violation(err: IntegrityError) -> bool:
    orig = err.orig
    return (
        getattr(orig, "sqlstate", None) == "23505"
        or getattr(orig, "sqlite_errorname", None) == "SQLITE_CONSTRAINT_UNIQUE"
    )


def _duplicate(name: str) -> Problem:
    return Problem(
        409,
        f"a product named {name!r} already exists",
        "duplicate-name",
        [FieldError(field="name", message="already taken")],
    )


def _stale_or_missing(session: Session, product_id: int) -> Problem:
    current = session.get(Product, product_id)
    if current is None:
        return _not_found(product_id)
    return Problem(
        412,
        f"product {product_id} has changed (now at version {current.version}); "
        "fetch it again and retry with its ETag",
        "precondition-failed",
        headers={"ETag": etag(current)},
    )


def _checked_id(product_id: int) -> int:
    if product_id > MAX_ID:
        raise _not_found(product_id)
    return product_id


@bp.get("/products")
def list_products() -> dict[str, Any]:
    limit = _query_int("limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
    offset = _query_int("offset", 0, 0, MAX_OFFSET)
    page: Select[Product] = select(Product).order_by(Product.id).limit(limit).offset(offset)
    with database().read() as session:
        total = session.scalar(select(func.count()).select_from(Product)) or 0
        items = [representation(p) for p in session.scalars(page)]
    return {"items": items, "total": total, "limit": limit, "offset": offset}


@bp.post("/products")
@require_scope(WRITE_SCOPE)
def create_product() -> Response:
    data = body(ProductIn)
    author = current_caller().username
    product = Product(
        name=data.name,
        price=data.price,
        quantity=data.quantity,
        version=1,
        created_by=author,
        updated_by=author,
    )
    try:
        with database().write() as session:
            session.add(product)
            session.flush()
            session.refresh(product)
    except IntegrityError as err:
        if _unique_violation(err):
            raise _duplicate(data.name) from None
        raise
    response = _product_response(product, 201)
    response.headers["Location"] = url_for("products.get_product", product_id=product.id)
    return response


@bp.get("/products/<int:product_id>")
def get_product(product_id: int) -> Response:
    product_id = _checked_id(product_id)
    with database().read() as session:
        product = session.get(Product, product_id)
    if product is None:
        raise _not_found(product_id)
    if _none_match(product):
        not_modified = Response(status=304, headers={"ETag": etag(product)})
        del not_modified.headers["Content-Type"]
        return not_modified
    return _product_response(product)


def _update(product_id: int, changes: dict[str, Any]) -> Response:
    product_id = _checked_id(product_id)
    versions = _expected_versions(product_id)
    statement = update(Product).where(Product.id == product_id)
    if versions is not None:
        statement = statement.where(Product.version.in_(versions))
    statement = statement.values(
        **changes,
        version=Product.version + 1,
        updated_at=func.now(),
        updated_by=current_caller().username,
    ).returning(Product)
    try:
        with database().write() as session:
            product = session.scalars(
                statement, execution_options={"synchronize_session": False}
            ).one_or_none()
            if product is None:
                raise _stale_or_missing(session, product_id)
    except IntegrityError as err:
        if _unique_violation(err):
            raise _duplicate(str(changes.get("name"))) from None
        raise
    return _product_response(product)


@bp.put("/products/<int:product_id>")
@require_scope(WRITE_SCOPE)
def replace_product(product_id: int) -> Response:
    return _update(product_id, body(ProductIn).model_dump())


@bp.patch("/products/<int:product_id>")
@require_scope(WRITE_SCOPE)
def patch_product(product_id: int) -> Response:
    return _update(product_id, body(ProductPatch).changes())


@bp.delete("/products/<int:product_id>")
@require_scope(WRITE_SCOPE)
def delete_product(product_id: int) -> Response:
    product_id = _checked_id(product_id)
    versions = _expected_versions(product_id)
    statement = delete(Product).where(Product.id == product_id)
    if versions is not None:
        statement = statement.where(Product.version.in_(versions))
    with database().write() as session:
        deleted = session.execute(statement.returning(Product.id)).scalar_one_or_none()
        if deleted is None:
            raise _stale_or_missing(session, product_id)
    no_content = Response(status=204)
    del no_content.headers["Content-Type"]
    return no_content
