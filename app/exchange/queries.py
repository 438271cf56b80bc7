"""Read models of the exchange area (the session's county)."""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from ..extensions import db
from .models import ExchangeCall, ExchangeClient


def clients() -> list[ExchangeClient]:
    return db.session.scalars(sa.select(ExchangeClient).options(selectinload(ExchangeClient.token))
                              .order_by(ExchangeClient.created_at.desc(), ExchangeClient.id.desc())).all()


def recent_calls(limit: int = 50) -> list[ExchangeCall]:
    return db.session.scalars(sa.select(ExchangeCall).options(selectinload(ExchangeCall.client))
                              .order_by(ExchangeCall.at.desc(), ExchangeCall.id.desc()).limit(limit)).all()
