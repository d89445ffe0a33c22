"""Request bodies: strict pydantic models (unknown fields, booleans for numbers, NaN … rejected)."""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal
from typing import Annotated

from pydantic import (
    BaseModel,
    ConfigDict,
    PlainValidator,
    field_validator,
    model_validator,
)

from meatyapis_flask.payloads import NonStandardConstant

# /add operands: exactly representable in a double, so results stay exact for JSON clients.
ADD_LIMIT = Decimal(10) ** 15
PRICE_MAX = Decimal("9999999999.99")  # Numeric(12, 2)
QUANTITY_MAX = 2**31 - 1  # PostgreSQL integer
_CENT = Decimal("0.01")
_DECIMAL_STRING = re.compile(r"[0-9]{1,10}(\.[0-9]{1,2})?")
# Explicit directional formatting characters (Unicode TR9): they can make a name read as another.
BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)


def _finite_number(value: object) -> Decimal:
    # Payloads are parsed with floats as Decimal (exact) and long integers as Decimal too.
    if isinstance(value, NonStandardConstant):
        raise ValueError(f"must be a number ({value} is not JSON)")
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise ValueError("must be a number")
    number = Decimal(value)
    if not number.is_finite():
        raise ValueError("must be a finite number")
    return number


def _operand(value: object) -> Decimal | int:
    number = _finite_number(value)
    # copy_abs and comparisons are exact; abs() would round to the context (1e999999999 overflows).
    if number.copy_abs() > ADD_LIMIT:
        raise ValueError(f"must be between -{ADD_LIMIT:.0f} and {ADD_LIMIT:.0f}")
    return value if isinstance(value, int) else number


def _price(value: object) -> Decimal:
    if isinstance(value, str):
        if not _DECIMAL_STRING.fullmatch(value):
            raise ValueError("must be a decimal string like '19.99' (at most two decimals)")
        price = Decimal(value)
    else:
        price = _finite_number(value)
    if price < 0 or price > PRICE_MAX:
        raise ValueError(f"must be between 0 and {PRICE_MAX}")
    if price != price.quantize(_CENT):
        raise ValueError("must have at most two decimal places")
    return price.quantize(_CENT)


def _quantity(value: object) -> int:
    # JSON Schema counts 3.0 as an integer, so an integral number is accepted; 3.5 is not.
    number = _finite_number(value)
    if number != number.to_integral_value():
        raise ValueError("must be an integer")
    if not 0 <= number <= QUANTITY_MAX:
        raise ValueError(f"must be between 0 and {QUANTITY_MAX}")
    return int(number)


def _name(value: object) -> str:
    """A name as stored and compared: NFC, so one spelling of a name is one name."""
    if not isinstance(value, str):
        raise ValueError("must be a string")
    if any(unicodedata.category(ch) in {"Cc", "Cs"} for ch in value):
        raise ValueError("must not contain control characters")
    if any(ch in BIDI_CONTROLS for ch in value):
        raise ValueError("must not contain bidirectional control characters (U+202A-U+202E …)")
    name = unicodedata.normalize("NFC", value)
    if not 1 <= len(name) <= 200:
        raise ValueError("must be 1 to 200 characters long")
    visible = "".join(ch for ch in name if unicodedata.category(ch) != "Cf")
    if not visible.strip():
        raise ValueError("must not be blank (spaces and invisible format characters only)")
    return name


Operand = Annotated[Decimal | int, PlainValidator(_operand)]
Price = Annotated[Decimal, PlainValidator(_price)]
Name = Annotated[str, PlainValidator(_name)]
Quantity = Annotated[int, PlainValidator(_quantity)]


class _Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


class AddRequest(_Strict):
    a: Operand
    b: Operand


class ProductIn(_Strict):
    """POST and PUT: every field."""

    name: Name
    price: Price
    quantity: Quantity


class ProductPatch(_Strict):
    """PATCH: any non-empty subset of the fields; null is not a value."""

    name: Name | None = None
    price: Price | None = None
    quantity: Quantity | None = None

    @field_validator("name", "price", "quantity", mode="before")
    @classmethod
    def _not_null(cls, value: object) -> object:
        if value is None:
            raise ValueError("must not be null")
        return value

    @model_validator(mode="after")
    def _not_empty(self) -> ProductPatch:
        if not self.model_fields_set:
            raise ValueError("send at least one of name, price, quantity")
        return self

    def changes(self) -> dict[str, object]:
        return {name: getattr(self, name) for name in self.model_fields_set}
