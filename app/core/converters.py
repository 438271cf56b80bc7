"""URL converters.

``<int:…>`` in every route is a record ID, and the tables' IDs are 32-bit
integers on PostgreSQL: a larger number in a URL could never name a record, and
sending it to the database would fail with "integer out of range" (a 500). The
app's ``int`` converter stops matching above the column's range, so such a URL
is simply not found, like any other record that does not exist.
"""
from __future__ import annotations

from werkzeug.routing import IntegerConverter

INT4_MAX = 2**31 - 1


class RecordIdConverter(IntegerConverter):
    def __init__(self, map, fixed_digits=0, min=None, max=INT4_MAX, signed=False):  # noqa: A002 (werkzeug's names)
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def install(app) -> None:
    app.url_map.converters["int"] = RecordIdConverter
