"""Products CRUD through the Flask test client, on SQLite and on PostgreSQL."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from meatyapis_chassis.migrations import upgrade
from sqlalchemy import create_engine, text

PROBLEM = "application/problem+json"


def create(
    client: FlaskClient, name: str = "Ribeye", price: Any = "24.50", quantity: int = 3
) -> Any:
    response = client.post("/products", json={"name": name, "price": price, "quantity": quantity})
    assert response.status_code == 201, response.get_data(as_text=True)
    return response


def tag(product: Any, version: int) -> str:
    """The ETag of `product` (a created response's body) at `version`."""
    return f'"{product["id"]}-{version}"'


def test_create_returns_201_location_etag_and_exact_price(db_client: FlaskClient) -> None:
    response = create(db_client, price="0.30")
    body = response.get_json()
    assert response.headers["Location"] == f"/products/{body['id']}"
    assert response.headers["ETag"] == tag(body, 1)
    assert body["name"] == "Ribeye"
    assert body["price"] == "0.30"
    assert body["quantity"] == 3
    assert body["version"] == 1
    assert body["created_at"].endswith("Z")
    fetched = db_client.get(response.headers["Location"])
    assert fetched.status_code == 200
    assert fetched.get_json() == body


@pytest.mark.parametrize(
    ("sent", "stored"),
    [
        ("19.99", "19.99"),
        (19.99, "19.99"),
        (0.1, "0.10"),
        (7, "7.00"),
        ("9999999999.99", "9999999999.99"),
    ],
)
def test_prices_are_stored_exactly(db_client: FlaskClient, sent: Any, stored: str) -> None:
    body = create(db_client, price=sent).get_json()
    again = db_client.get(f"/products/{body['id']}").get_json()
    assert again["price"] == stored
    assert Decimal(again["price"]) == Decimal(str(sent))


def test_sum_of_prices_has_no_float_error(db_client: FlaskClient) -> None:
    for index in range(10):
        create(db_client, name=f"item-{index}", price=0.1)
    items = db_client.get("/products?limit=100").get_json()["items"]
    assert sum(Decimal(item["price"]) for item in items) == Decimal("1.00")


def test_duplicate_name_is_409_naming_the_field(db_client: FlaskClient) -> None:
    create(db_client, name="Brisket")
    response = db_client.post("/products", json={"name": "Brisket", "price": 1, "quantity": 1})
    assert response.status_code == 409
    assert response.mimetype == PROBLEM
    assert response.get_json()["errors"] == [{"field": "name", "message": "already taken"}]


def test_rename_onto_an_existing_name_is_409(db_client: FlaskClient) -> None:
    create(db_client, name="Flank")
    other = create(db_client, name="Skirt").get_json()
    response = db_client.patch(f"/products/{other['id']}", json={"name": "Flank"})
    assert response.status_code == 409
    assert db_client.get(f"/products/{other['id']}").get_json()["name"] == "Skirt"


def test_pagination_returns_items_and_total(db_client: FlaskClient) -> None:
    ids = [create(db_client, name=f"cut-{i:02d}").get_json()["id"] for i in range(7)]
    page = db_client.get("/products?limit=3&offset=2").get_json()
    assert page["total"] == 7
    assert page["limit"] == 3
    assert page["offset"] == 2
    assert [item["id"] for item in page["items"]] == ids[2:5]
    default = db_client.get("/products").get_json()
    assert default["limit"] == 20
    assert len(default["items"]) == 7
    beyond = db_client.get("/products?offset=100").get_json()
    assert beyond["items"] == []
    assert beyond["total"] == 7


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("limit=-1", "limit"),
        ("limit=abc", "limit"),
        ("limit=1.5", "limit"),
        ("offset=-1", "offset"),
        ("offset=99999999999", "offset"),
        ("offset=", "offset"),
    ],
)
def test_bad_pagination_is_422_naming_the_parameter(
    client: FlaskClient, query: str, field: str
) -> None:
    response = client.get(f"/products?{query}")
    assert response.status_code == 422
    assert response.mimetype == PROBLEM
    assert [e["field"] for e in response.get_json()["errors"]] == [field]


def test_put_replaces_and_bumps_the_version(db_client: FlaskClient) -> None:
    product = create(db_client).get_json()
    response = db_client.put(
        f"/products/{product['id']}",
        json={"name": "Ribeye XL", "price": "30.00", "quantity": 0},
        headers={"If-Match": tag(product, 1)},
    )
    assert response.status_code == 200
    assert response.headers["ETag"] == tag(product, 2)
    body = response.get_json()
    assert (body["name"], body["price"], body["quantity"], body["version"]) == (
        "Ribeye XL",
        "30.00",
        0,
        2,
    )


def test_put_needs_every_field(db_client: FlaskClient) -> None:
    product = create(db_client).get_json()
    response = db_client.put(f"/products/{product['id']}", json={"name": "Only name"})
    assert response.status_code == 422
    fields = sorted(e["field"] for e in response.get_json()["errors"])
    assert fields == ["price", "quantity"]


def test_patch_changes_only_the_given_fields(db_client: FlaskClient) -> None:
    product = create(db_client).get_json()
    response = db_client.patch(f"/products/{product['id']}", json={"quantity": 9})
    assert response.status_code == 200
    body = response.get_json()
    assert (body["name"], body["price"], body["quantity"]) == ("Ribeye", "24.50", 9)


def test_integral_numbers_are_integers(client: FlaskClient) -> None:
    # JSON Schema, which the OpenAPI document uses, counts 5.0 as an integer.
    assert create(client, quantity=5.0).get_json()["quantity"] == 5  # type: ignore[arg-type]


def test_patch_accepts_merge_patch_content_type(client: FlaskClient) -> None:
    product = create(client).get_json()
    response = client.patch(
        f"/products/{product['id']}",
        data='{"price": "1.25"}',
        content_type="application/merge-patch+json",
    )
    assert response.status_code == 200
    assert response.get_json()["price"] == "1.25"


@pytest.mark.parametrize(("body", "field"), [({}, "body"), ({"name": None}, "name")])
def test_patch_rejects_empty_and_null(client: FlaskClient, body: Any, field: str) -> None:
    product = create(client).get_json()
    response = client.patch(f"/products/{product['id']}", json=body)
    assert response.status_code == 422
    assert [e["field"] for e in response.get_json()["errors"]] == [field]


def test_stale_if_match_is_412_and_changes_nothing(db_client: FlaskClient) -> None:
    product = create(db_client).get_json()
    url = f"/products/{product['id']}"
    first = db_client.patch(url, json={"quantity": 10}, headers={"If-Match": tag(product, 1)})
    assert first.status_code == 200
    second = db_client.patch(url, json={"quantity": 20}, headers={"If-Match": tag(product, 1)})
    assert second.status_code == 412
    assert second.mimetype == PROBLEM
    assert second.headers["ETag"] == tag(product, 2)
    stale_put = db_client.put(
        url, json={"name": "x", "price": 1, "quantity": 1}, headers={"If-Match": tag(product, 1)}
    )
    assert stale_put.status_code == 412
    assert db_client.get(url).get_json()["quantity"] == 10


@pytest.mark.parametrize("if_match", ['"1-2", "1-1"', "*", 'W/"1-1", "1-1"'])
def test_if_match_lists_star_and_weak_tags(client: FlaskClient, if_match: str) -> None:
    product = create(client).get_json()
    response = client.patch(
        f"/products/{product['id']}", json={"quantity": 1}, headers={"If-Match": if_match}
    )
    assert response.status_code == 200


@pytest.mark.parametrize(
    "if_match",
    ['W/"1-1"', '"1"', '"2-1"', '"1-1-1"', '"nonsense"', '"0"', "garbage", '"', ""],
)
def test_if_match_without_a_current_strong_tag_is_412(client: FlaskClient, if_match: str) -> None:
    product = create(client).get_json()
    response = client.patch(
        f"/products/{product['id']}", json={"quantity": 1}, headers={"If-Match": if_match}
    )
    assert response.status_code == 412


def test_if_none_match_gives_304_until_the_product_changes(db_client: FlaskClient) -> None:
    product = create(db_client)
    url = product.headers["Location"]
    etag = product.headers["ETag"]
    not_modified = db_client.get(url, headers={"If-None-Match": etag})
    assert not_modified.status_code == 304
    assert not_modified.headers["ETag"] == etag
    assert not_modified.get_data() == b""
    assert db_client.get(url, headers={"If-None-Match": f"W/{etag}"}).status_code == 304
    db_client.patch(url, json={"quantity": 4})
    changed = db_client.get(url, headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["ETag"] == tag(product.get_json(), 2)


def test_delete_is_204_then_404(db_client: FlaskClient) -> None:
    url = create(db_client).headers["Location"]
    response = db_client.delete(url)
    assert response.status_code == 204
    assert response.get_data() == b""
    assert "Content-Type" not in response.headers
    assert db_client.get(url).status_code == 404
    assert db_client.delete(url).status_code == 404


def test_delete_honours_if_match(client: FlaskClient) -> None:
    url = create(client).headers["Location"]
    client.patch(url, json={"quantity": 5})
    assert client.delete(url, headers={"If-Match": '"1-1"'}).status_code == 412
    assert client.delete(url, headers={"If-Match": '"1-2"'}).status_code == 204


@pytest.mark.parametrize("method", ["get", "put", "patch", "delete"])
@pytest.mark.parametrize("product_id", ["999", "2147483648", "99999999999999999999"])
def test_missing_product_is_404(client: FlaskClient, method: str, product_id: str) -> None:
    body = {"name": "n", "price": 1, "quantity": 1} if method in {"put", "patch"} else None
    response = getattr(client, method)(f"/products/{product_id}", json=body)
    assert response.status_code == 404
    assert response.mimetype == PROBLEM


def test_non_integer_id_is_404(client: FlaskClient) -> None:
    assert client.get("/products/abc").status_code == 404
    assert client.get("/products/-1").status_code == 404


def test_an_etag_of_a_deleted_product_never_validates_for_the_next(db_client: FlaskClient) -> None:
    """Create, delete, create: a new id, and the old ETag is neither fresh (304) nor current."""
    first = create(db_client, name="Ribeye")
    old_etag, old_url = first.headers["ETag"], first.headers["Location"]
    assert db_client.delete(old_url).status_code == 204
    second = create(db_client, name="Wagyu")
    assert second.get_json()["id"] != first.get_json()["id"]  # ids are never reused
    assert second.headers["ETag"] != old_etag
    new_url = second.headers["Location"]
    cached = db_client.get(new_url, headers={"If-None-Match": old_etag})
    assert cached.status_code == 200
    assert cached.get_json()["name"] == "Wagyu"
    stale = db_client.patch(new_url, json={"quantity": 9}, headers={"If-Match": old_etag})
    assert stale.status_code == 412
    assert stale.headers["ETag"] == second.headers["ETag"]
    assert db_client.delete(new_url, headers={"If-Match": old_etag}).status_code == 412
    assert db_client.get(old_url, headers={"If-None-Match": old_etag}).status_code == 404


def test_the_highest_id_is_not_reused_after_a_restart(database_url: str) -> None:
    from .conftest import make_app, make_settings

    for _ in range(2):  # a new app (a restart) between the delete and the next create
        app = make_app(make_settings(database_url))
        client = app.test_client()
        created = create(client, name=f"p-{len(client.get('/products').get_json()['items'])}")
        assert client.delete(created.headers["Location"]).status_code == 204
        app.database.dispose()
    app = make_app(make_settings(database_url))
    ids = [create(app.test_client(), name="last").get_json()["id"]]
    app.database.dispose()
    assert ids == [3]


def test_the_migration_keeps_products_and_stops_reusing_ids(tmp_path: Path) -> None:
    """An SQLite database of the first schema: its rows survive, its ids stop being reused."""
    url = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade(url, "meatyapis_flask", "0001")
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            for name in ("a", "b", "c"):
                connection.execute(
                    text("INSERT INTO products (name, price, quantity) VALUES (:n, 1, 1)"),
                    {"n": name},
                )
            connection.execute(text("INSERT INTO checkins VALUES ('ann', '2026-01-01')"))
        upgrade(url, "meatyapis_flask")
        with engine.begin() as connection:
            rows = connection.execute(
                text("SELECT id, name, version, created_by FROM products ORDER BY id")
            ).all()
            assert [tuple(row) for row in rows] == [
                (1, "a", 1, None),
                (2, "b", 1, None),
                (3, "c", 1, None),
            ]
            connection.execute(text("DELETE FROM products WHERE id = 3"))
            connection.execute(
                text("INSERT INTO products (name, price, quantity) VALUES ('d', 1, 1)")
            )
            assert connection.execute(text("SELECT max(id) FROM products")).scalar_one() == 4
            assert connection.execute(text("SELECT client FROM checkins")).scalar_one() is None
    finally:
        engine.dispose()
