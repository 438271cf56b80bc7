"""``bulk.insert_rows`` writes what the ORM would: enums as their codes, JSON lists, NULLs, dates and
timestamps the same, on SQLite (``executemany``) and on PostgreSQL (one ``unnest`` statement), under the
tenant's row-level security."""
from datetime import date

import sqlalchemy as sa

from app.campaigns.models import EntrySource, VisitEntry
from app.core import bulk, tenancy
from app.core.models import utcnow


def test_bulk_rows_read_back_as_the_orm_writes_them(taipei_cases, db):
    t = taipei_cases
    stamp = utcnow()
    cases = [t["drug"], t["young"], t["plain"]]
    rows = [{"tenant_id": t["taipei"].id, "campaign_id": t["campaign"].id, "case_id": case.id, "reason": reason,
             "source": source, "indicators": indicators, "in_person": i == 0, "rule_set_id": t["campaign"].rule_set_id,
             "computed_on": date(2027, 1, 22) if i else None, "lead_unit_id": t["centre"].id if i != 1 else None,
             "visiting_unit_id": t["centre"].id, "created_at": stamp, "updated_at": stamp}
            for i, (case, source, indicators, reason) in enumerate(zip(
                cases, (EntrySource.RULES, EntrySource.ADULT_PROTECTION, EntrySource.RULES),
                (["1C", "2A"], ["AP"], []), ("", "里長通報", "")))]
    with tenancy.tenant_scope(t["taipei"].id):
        bulk.insert_rows(VisitEntry.__table__, rows)
        db.session.expire_all()
        entries = db.session.scalars(sa.select(VisitEntry).order_by(VisitEntry.case_id)).all()
        got = [{name: getattr(e, name) for name in rows[0]} for e in entries]
    want = sorted(rows, key=lambda r: r["case_id"])
    for row in got:  # SQLite hands timestamps back without their zone
        for name in ("created_at", "updated_at"):
            row[name] = row[name].replace(tzinfo=stamp.tzinfo)
    assert got == want
    assert bulk.insert_rows(VisitEntry.__table__, []) is None  # nothing to write: no statement
