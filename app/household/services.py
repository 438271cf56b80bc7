"""The household area's public services. They never commit: the request or job at the edge does."""
from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from ..core.errors import Invalid
from ..core.models import utcnow
from ..extensions import db
from .models import ExternalStatus


class ExternalStatusError(Invalid):
    pass


def record_external_status(*, source: str, source_ref: str, status: str, status_label: str = "",
                           id_number: str = "", name: str = "", birth_date: date | None = None,
                           since: date | None = None, note: str = "", client_id: int | None = None) -> ExternalStatus:
    """Another system says this person is under its 列管. Sending the same ``source_ref`` again updates the
    row (and re-opens it if it had been withdrawn). The county is the session's tenant."""
    if not (source or "").strip() or not (source_ref or "").strip() or not (status or "").strip():
        raise ExternalStatusError("缺少來源系統、來源識別碼或列管狀態。")
    if not id_number and not (name and birth_date):
        raise ExternalStatusError("請提供身分證號，或姓名與出生日期，才能比對個人。")
    row = db.session.scalar(sa.select(ExternalStatus).where(ExternalStatus.source == source,
                                                            ExternalStatus.source_ref == source_ref))
    if row is None:
        row = ExternalStatus(source=source, source_ref=source_ref)
        db.session.add(row)
    row.client_id = client_id
    row.id_number, row.name, row.birth_date = (id_number or "").upper(), name or "", birth_date
    row.status, row.status_label, row.since, row.note = status, status_label or status, since, note or ""
    row.received_at = utcnow()
    row.withdrawn_at, row.withdraw_reason = None, ""
    db.session.flush()
    return row


def withdraw_external_status(*, source: str, source_ref: str, reason: str = "") -> ExternalStatus | None:
    """The sender ends its 列管 (解除列管). Returns the row, or None when nothing was sent under that reference."""
    row = db.session.scalar(sa.select(ExternalStatus).where(ExternalStatus.source == source,
                                                            ExternalStatus.source_ref == source_ref))
    if row is None:
        return None
    if row.withdrawn_at is None:
        row.withdrawn_at = utcnow()
        row.withdraw_reason = reason or ""
        db.session.flush()
    return row
