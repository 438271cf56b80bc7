"""PostgreSQL's own isolation of the retention decisions: forced RLS on the table, one county's rows only."""
import os
from datetime import date

import pytest
import sqlalchemy as sa

from app.core import tenancy
from app.retention import services
from app.retention.models import RetentionChoice

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not os.environ.get("DATABASE_URL", "").startswith("postgres"),
                       reason="needs PostgreSQL (DATABASE_URL); .ci/run provides it"),
]


def test_retention_decisions_have_forced_rls(db):
    enabled, forced = db.session.execute(sa.text(
        "SELECT relrowsecurity, relforcerowsecurity FROM pg_class WHERE relname = 'retention_decisions'")).one()
    assert enabled and forced
    assert db.session.scalar(sa.text("SELECT count(*) FROM pg_policies WHERE tablename = 'retention_decisions'")) == 1


def test_raw_sql_sees_and_writes_only_the_countys_decisions(db, make_closed, taipei, factories):
    case = make_closed(date(2017, 1, 1))
    with tenancy.tenant_scope(taipei.id):
        services.decide(taipei, [case.id], factories.user("tpe.admin"), choice=RetentionChoice.DISPOSE,
                        reason="逾期", retain_until=None, today=date(2026, 12, 2))
        db.session.flush()
    hualien = factories.county("花蓮縣")
    conn = db.session.connection()

    def visible(tenant):
        conn.execute(sa.text("SELECT set_config('app.tenant_id', :t, true), set_config('app.all_tenants', 'off', true)"),
                     {"t": str(tenant)})
        return conn.execute(sa.text("SELECT count(*) FROM retention_decisions")).scalar()

    assert visible(taipei.id) == 1
    assert visible(hualien.id) == 0
    assert conn.execute(sa.text("UPDATE retention_decisions SET reason = 'x'")).rowcount == 0  # under 花蓮縣
    nested = db.session.begin_nested()
    with pytest.raises(sa.exc.ProgrammingError, match="row-level security"):
        conn.execute(sa.text(
            "INSERT INTO retention_decisions (tenant_id, case_no, decision, reason, closed_on, retention_years, "
            "decided_by_id, decided_at) VALUES (:t, 'X', 'dispose', 'x', '2017-01-01', 7, :u, now())"),
            {"t": taipei.id, "u": factories.user("hua.admin").id})
    nested.rollback()
