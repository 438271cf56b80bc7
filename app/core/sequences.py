"""Numbers people read: 通報編號, 案號. One counter row per (name, period),
incremented in the database so that two requests never get the same number."""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db


class Counter(db.Model):
    __tablename__ = "counters"

    name: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    period: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    value: Mapped[int] = mapped_column(nullable=False, default=0)


def next_value(name: str, period: str) -> int:
    """The next number for ``name`` in ``period`` (atomic: UPDATE … RETURNING)."""
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
