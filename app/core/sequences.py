"""Numbers people read: 通報編號, 案號. One counter row per (name, period),
incremented in the database so that two requests never get the same number.

A counter bumped inside the request's transaction stays locked until that
transaction commits, so every other request wanting the same counter waits
for it. For 通報編號 (one counter for the whole country per day, taken by the
public form, the API and every dispatch centre at once) PostgreSQL bumps it in
a transaction of its own instead: the lock lasts one statement. A report that
then fails to save leaves a gap in the day's numbers, never a duplicate.
"""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db


class Counter(db.Model):
    __tablename__ = "counters"

    name: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    period: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    value: Mapped[int] = mapped_column(nullable=False, default=0)


def next_value(name: str, period: str, *, own_transaction: bool = False) -> int:
    """The next number for ``name`` in ``period`` (atomic: UPDATE … RETURNING).

    ``own_transaction``: on PostgreSQL, bump and commit at once on a connection
    of its own (numbers may have gaps; see the module's note)."""
    if own_transaction and db.engine.dialect.name == "postgresql":
        return _bump_committed(name, period)
    session = db.session
    bump = (
        sa.update(Counter)
        .where(Counter.name == name, Counter.period == period)
        .values(value=Counter.value + 1)
        .returning(Counter.value)
        .execution_options(synchronize_session=False)
    )
    value = session.execute(bump).scalar()
    if value is not None:
        return value
    try:
        with session.begin_nested():
            session.execute(sa.insert(Counter).values(name=name, period=period, value=1))
        return 1
    except sa.exc.IntegrityError:  # someone else created it first: count on theirs
        return session.execute(bump).scalar()


def _bump_committed(name: str, period: str) -> int:
    table = Counter.__table__
    upsert = (insert(table).values(name=name, period=period, value=1)
              .on_conflict_do_update(index_elements=[table.c.name, table.c.period], set_={"value": table.c.value + 1})
              .returning(table.c.value))
    with db.engine.begin() as conn:
        return conn.execute(upsert).scalar_one()
