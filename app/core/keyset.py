"""Keyset pagination for long newest-first lists (the audit log).

``OFFSET n`` makes the database read and throw away n rows, and the page
count needs ``count(*)`` over everything that matches: both grow with the
table. A keyset page asks for the rows after the last one shown, by the
columns the list is ordered on, which an index answers in the same time on
page 1 and page 10,000. The cursor is those columns' values, in the URL.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from ..extensions import db

SEPARATOR = "~"


@dataclass
class KeysetPage:
    items: list
    per_page: int
    cursor: str  # what this page was asked with ("" = the newest)
    next_cursor: str | None  # the page of older rows, if there are any

    @property
    def is_first(self) -> bool:
        return not self.cursor


def _encode(values) -> str:
    return SEPARATOR.join(v.isoformat() if isinstance(v, datetime) else str(v) for v in values)


def _decode(cursor: str, columns) -> list | None:
    parts = cursor.split(SEPARATOR)
    if len(parts) != len(columns):
        return None
    values = []
    try:
        for part, column in zip(parts, columns):
            kind = getattr(column.type, "impl", column.type)  # a TypeDecorator's underlying type
            if isinstance(kind, sa.DateTime):
                values.append(datetime.fromisoformat(part))
            elif isinstance(kind, sa.Integer):
                values.append(int(part))
            else:
                values.append(part)
    except ValueError:
        return None
    return values


def keyset_page(stmt, columns: list, cursor: str = "", per_page: int = 50) -> KeysetPage:
    """One page of ``stmt`` ordered by ``columns`` descending, after ``cursor``.
    A cursor that cannot be read gives the first page (a hand-edited URL is no error)."""
    values = _decode(cursor, columns) if cursor else None
    if values is None:
        cursor = ""
    else:
        # (a, b) < (x, y) spelled out, so an index on the first column is used on every database
        older = sa.or_(*[sa.and_(*[c == v for c, v in zip(columns[:i], values[:i])], columns[i] < values[i])
                         for i in range(len(columns))])
        stmt = stmt.where(columns[0] <= values[0], older)
    rows = list(db.session.scalars(stmt.order_by(None).order_by(*[c.desc() for c in columns]).limit(per_page + 1)))
    more = len(rows) > per_page
    rows = rows[:per_page]
    next_cursor = _encode([getattr(rows[-1], c.key) for c in columns]) if more else None
    return KeysetPage(items=rows, per_page=per_page, cursor=cursor, next_cursor=next_cursor)
