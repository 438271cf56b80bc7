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


def token_may_write_reports(token_id: int) -> bool:
    """An intake API token may post reports unless it is a registered client's without ``report.write``
    (a plain intake token predates scopes and keeps its one use)."""
    client = db.session.scalars(sa.select(ExchangeClient).where(ExchangeClient.api_token_id == token_id)).first()
    return client is None or "report.write" in (client.scopes or [])
