"""Isolation enforced by PostgreSQL itself: row-level security on every tenant
table, a runtime role that owns nothing, and an append-only audit log."""
import os

import pytest
import sqlalchemy as sa

from app.audit import services as audit
from app.audit.models import AuditAction

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not os.environ.get("DATABASE_URL", "").startswith("postgres"),
                       reason="needs PostgreSQL (DATABASE_URL); .ci/run provides it"),
]


def _tenant_tables(conn):
    return [r[0] for r in conn.execute(sa.text(
        "SELECT table_name FROM information_schema.columns WHERE table_schema = 'public' AND column_name = 'tenant_id'"
    ))]


def test_every_tenant_table_has_forced_rls(db):
    conn = db.session.connection()
    tables = _tenant_tables(conn)
    assert "audit_events" in tables
    rows = conn.execute(sa.text(
        "SELECT relname, relrowsecurity, relforcerowsecurity FROM pg_class WHERE relname = ANY(:t) AND relkind = 'r'"
    ), {"t": tables}).all()
    assert len(rows) == len(tables)
    assert all(enabled and forced for _, enabled, forced in rows), rows
    policies = {r[0] for r in conn.execute(sa.text("SELECT tablename FROM pg_policies WHERE schemaname = 'public'"))}
    assert set(tables) <= policies


def test_runtime_role_owns_nothing_and_cannot_bypass(db):
    conn = db.session.connection()
    me = conn.execute(sa.text("SELECT current_user")).scalar()
    owners = {r[0] for r in conn.execute(sa.text("SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = 'public'"))}
    assert me not in owners
    superuser, bypass = conn.execute(sa.text("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")).one()
    assert not superuser and not bypass


def test_raw_sql_without_the_tenant_setting_sees_no_tenant_rows(db, factories):
    taipei, hualien = factories.county("臺北市").id, factories.county("花蓮縣").id
    audit.record(AuditAction.UPDATE, summary="rls-tpe", tenant_id=taipei)
    audit.record(AuditAction.UPDATE, summary="rls-hua", tenant_id=hualien)
    db.session.flush()
    conn = db.session.connection()

    def visible():
        return {r[0] for r in conn.execute(sa.text("SELECT summary FROM audit_events WHERE summary LIKE 'rls-%'"))}

    conn.execute(sa.text("SELECT set_config('app.tenant_id', '', true), set_config('app.all_tenants', 'off', true)"))
    assert visible() == set()
    assert conn.execute(sa.text("SELECT count(*) FROM audit_events WHERE tenant_id IS NOT NULL")).scalar() == 0
    conn.execute(sa.text("SELECT set_config('app.tenant_id', :t, true)"), {"t": str(taipei)})
    assert visible() == {"rls-tpe"}
    conn.execute(sa.text("SELECT set_config('app.tenant_id', :t, true)"), {"t": str(hualien)})
    assert visible() == {"rls-hua"}


def test_runtime_role_cannot_update_or_delete_the_log(db, factories):
    audit.record(AuditAction.UPDATE, summary="keep", tenant_id=factories.county("臺北市").id)
    db.session.flush()
    for statement in ("UPDATE audit_events SET summary = 'x'", "DELETE FROM audit_events"):
        nested = db.session.begin_nested()
        with pytest.raises(sa.exc.ProgrammingError, match="permission denied"):
            db.session.execute(sa.text(statement))
        nested.rollback()


def test_requests_set_the_tenant_per_transaction(as_user, db, factories):
    """A county's page reads through RLS: the Taipei admin's audit page works
    and the setting does not survive the request's transaction."""
    as_user("hua.sw1")
    body = as_user("tpe.admin").get("/admin/audit").get_data(as_text=True)
    assert "tpe.admin" in body and "hua.sw1" not in body
    fresh = db.engine.connect()
    try:
        assert fresh.execute(sa.text("SELECT current_setting('app.tenant_id', true)")).scalar() in (None, "")
    finally:
        fresh.close()


def test_closed_loop_rows_are_seen_by_the_parties_only(db, factories):
    """A referral to a partner: the sending county and that partner see it; another
    county and another partner do not, straight from the database."""
    from datetime import date

    from app.core import tenancy
    from app.intake import services as intake
    from app.intake.reference import ReportingChannel
    from app.referrals import services as referrals
    from app.referrals.models import PartnerService, ReferralKind

    taipei = factories.county("臺北市")
    sw1 = factories.user("tpe.sw1")
    dispatcher = factories.user("tpe.dispatch")
    service = db.session.scalars(sa.select(PartnerService).where(PartnerService.name == "兒少及家庭支持服務")).one()
    with tenancy.tenant_scope(taipei.id):
        report, _ = intake.receive(taipei, intake.ReportInput(
            district_id=taipei.districts[0].id, concerns=["vulnerable_family"], narrative="x",
            persons=[intake.PersonInput("甲", "F", date(2015, 1, 1))]), ReportingChannel("36"))
        intake.claim(report, dispatcher)
        case = intake.dispatch(report, dispatcher, factories.unit(f"臺北市{taipei.districts[0].name[:-1]}社會福利服務中心"))
        member = next(m for m in sw1.memberships)
        from app.cases.models import CaseUnit, CaseUnitRole

        if case.lead_unit.id != member.unit_id:
            case.units.append(CaseUnit(unit_id=member.unit_id, role=CaseUnitRole.COLLABORATOR))
            db.session.flush()
        referrals.send(case, sw1, member, kind=ReferralKind.PARTNER, reason="r", services_requested="", sections=[],
                       partner_service=service, consent=True, consent_by="案母")
        db.session.flush()
    conn = db.session.connection()

    def seen(tenant="", partner=""):
        conn.execute(sa.text("SELECT set_config('app.tenant_id', :t, true), set_config('app.partner_org_id', :p, true), "
                             "set_config('app.all_tenants', 'off', true)"), {"t": tenant, "p": partner})
        return conn.execute(sa.text("SELECT count(*) FROM referrals")).scalar()

    partner_id = str(service.partner_org_id)
    other_partner = str(int(partner_id) + 1)
    assert seen(tenant=str(taipei.id)) == 1
    assert seen(partner=partner_id) == 1
    assert seen(partner=other_partner) == 0
    assert seen(tenant=str(factories.county("花蓮縣").id)) == 0
    assert seen() == 0


MEETING_TABLES = ("meeting_series", "meetings", "action_items", "action_item_numbers", "action_item_units",
                  "chair_instructions", "item_decisions", "progress_entries", "meeting_amendments", "meeting_documents")


def test_meeting_tables_show_a_county_only_its_own_and_the_national_rows(db, factories):
    from datetime import date

    from app.core import tenancy
    from app.meetings import services
    from app.meetings.models import SeriesKind

    conn = db.session.connection()
    rows = conn.execute(sa.text("SELECT relname, relrowsecurity, relforcerowsecurity FROM pg_class "
                                "WHERE relname = ANY(:t) AND relkind = 'r'"), {"t": list(MEETING_TABLES)}).all()
    assert len(rows) == len(MEETING_TABLES) and all(e and f for _, e, f in rows)
    taipei, hualien = factories.county("臺北市"), factories.county("花蓮縣")
    with tenancy.tenant_scope(taipei.id):
        series = services.create_series(SeriesKind.HIGH_RISK, "rls-高危機", factories.user("tpe.admin").memberships[0])
        meeting = services.new_meeting(series, date(2026, 11, 30))
        services.add_item(meeting, section=4, title="rls", instruction="rls",
                          lead_unit_ids=[factories.unit("臺北市中正社會福利服務中心").id])
    db.session.flush()
    conn = db.session.connection()

    def count(table):
        return conn.execute(sa.text(f"SELECT count(*) FROM {table} WHERE county_id = :c"), {"c": taipei.id}).scalar()

    conn.execute(sa.text("SELECT set_config('app.tenant_id', :t, true), set_config('app.all_tenants', 'off', true)"),
                 {"t": str(hualien.id)})
    assert [count(t) for t in ("meeting_series", "meetings", "action_items", "action_item_units")] == [0, 0, 0, 0]
    with pytest.raises(sa.exc.DBAPIError, match="row-level security"):
        with conn.begin_nested():
            conn.execute(sa.text("UPDATE meeting_series SET county_id = :c WHERE county_id IS NULL"), {"c": taipei.id})
            conn.execute(sa.text("INSERT INTO meeting_series (kind, name, county_id, secretariat_unit_id, created_at, updated_at) "
                                 "VALUES ('high_risk', 'x', :c, :u, now(), now())"),
                         {"c": taipei.id, "u": factories.unit("臺北市中正社會福利服務中心").id})
    conn.execute(sa.text("SELECT set_config('app.tenant_id', '', true)"))
    assert count("meeting_series") == 0  # the ministry (no county) sees national rows only
    conn.execute(sa.text("SELECT set_config('app.tenant_id', :t, true)"), {"t": str(taipei.id)})
    assert [count(t) for t in ("meeting_series", "meetings", "action_items", "action_item_units")] == [1, 1, 1, 1]
