"""URL converters: path parameters match ASCII only, the whole segment.

werkzeug's `int` converter matches `\\d+`, which in Python includes every Unicode digit
(`/products/%D9%A1`, an Arabic-Indic one, is product 1) and leading zeros (`/products/007`).
Here an integer path parameter is ASCII digits without a leading zero, so each product has one
URL and anything else is a 404 from routing.
"""

from __future__ import annotations

from flask import Flask
from werkzeug.routing import IntegerConverter


class AsciiIntegerConverter(IntegerConverter):
    regex = r"[1-9][0-9]{0,18}"


def init_routing(app: Flask) -> None:
    """Before any route is added: their rules are compiled with these converters."""
    app.url_map.converters["int"] = AsciiIntegerConverter
