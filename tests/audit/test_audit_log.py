"""The audit log: what it records, who reads it, and that nobody changes it."""
from datetime import datetime

import pytest
import sqlalchemy as sa

from app.audit.models import AuditAction, AuditEvent
from app.core import tenancy


def test_creating_a_user_records_who_what_and_where(as_user, factories, db):
    admin = as_user("tpe.admin")
    unit = factories.unit("臺北市大安社會福利服務中心")
    admin.post("/admin/users/new", {"username": "tpe.new", "display_name": "新同仁", "unit_id": unit.id,
                                    "role": "supervisor"})
    new = factories.user("tpe.new")
    taipei = factories.county("臺北市")
    with tenancy.tenant_scope(taipei.id):
        events = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.actor_username == "tpe.admin")).all()
    created = [e for e in events if e.action == AuditAction.CREATE]
    user_event = next(e for e in created if e.record_type == "users" and e.record_id == str(new.id))
    assert user_event.changes["username"] == [None, "tpe.new"]
    assert "password_hash" not in user_event.changes
    assert user_event.unit.name == "臺北市政府社會局"
    membership_event = next(e for e in created if e.record_type == "memberships")
    assert membership_event.changes["role"] == [None, "supervisor"]
    assert all(e.tenant_id == taipei.id for e in created)


def test_updates_record_before_and_after(as_user, factories, db):
    admin = as_user("tpe.admin")
    unit = factories.unit("臺北市政府消防局")
    admin.post(f"/admin/units/{unit.id}", {"kind": "fire", "name": unit.name, "short_name": unit.short_name,
                                           "phone": "02-2758-6119", "is_active": "y"})
    with tenancy.tenant_scope(unit.county_id):
        event = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.record_type == "units",
                                                               AuditEvent.record_id == str(unit.id),
                                                               AuditEvent.action == AuditAction.UPDATE)).one()
    assert event.changes == {"phone": ["", "02-2758-6119"]}


def test_county_admin_filters_by_person_date_and_record(as_user, factories, db):
    as_user("tpe.sw1")
    as_user("tpe.sup")
    as_user("hua.sw1")
    admin = as_user("tpe.admin")
    body = admin.get("/admin/audit?username=tpe.sw1").get_data(as_text=True)
    assert "tpe.sw1" in body and "tpe.sup" not in body
    assert "hua." not in admin.get("/admin/audit").get_data(as_text=True)  # only 臺北市's log
    from app.core.filters import TAIPEI

    today = datetime.now(TAIPEI).date().isoformat()  # the filter's days are Taipei days (UTC+8: after 16:00 UTC, tomorrow)
    assert "登入成功" in admin.get(f"/admin/audit?date_from={today}&date_to={today}").get_data(as_text=True)
    assert "登入成功" not in admin.get("/admin/audit?date_from=2000-01-01&date_to=2000-01-02").get_data(as_text=True)
    sw1 = factories.user("tpe.sw1")
    by_record = admin.get(f"/admin/audit?record_type=users&record_id={sw1.id}").get_data(as_text=True)
    assert "tpe.sw1" in by_record and "tpe.sup" not in by_record


def test_bad_filter_dates_get_a_chinese_message(as_user):
    response = as_user("tpe.admin").get("/admin/audit?date_from=2026-13-45&date_to=2026-01-01")
    assert response.status_code == 422
    assert "這個日期不存在" in response.get_data(as_text=True)  # ROC or Gregorian text, read by the one date field
    response = as_user("tpe.admin").get("/admin/audit?date_from=2026-05-01&date_to=2026-01-01")
    assert "迄日不可早於起日" in response.get_data(as_text=True)


def test_sysadmin_reads_every_county(as_user):
    as_user("hua.sw1")
    as_user("tpe.sw1")
    body = as_user("sysadmin").get("/admin/audit").get_data(as_text=True)
    assert "hua.sw1" in body and "tpe.sw1" in body


def test_the_app_cannot_change_the_log(db, factories):
    from app.audit import services as audit

    event = audit.record(AuditAction.UPDATE, summary="原文", tenant_id=factories.county("臺北市").id)
    db.session.flush()
    event.summary = "竄改"
    with pytest.raises(PermissionError):
        db.session.flush()
    db.session.rollback()


def test_the_database_refuses_updates_and_deletes(db, factories):
    from app.audit import services as audit

    audit.record(AuditAction.UPDATE, summary="原文", tenant_id=factories.county("臺北市").id)
    db.session.flush()
    for statement in ("UPDATE audit_events SET summary = 'x'", "DELETE FROM audit_events"):
        nested = db.session.begin_nested()
        with pytest.raises(sa.exc.DBAPIError):
            db.session.execute(sa.text(statement))
        nested.rollback()


def test_partner_and_ministry_records_stay_out_of_county_logs(db, factories):
    ngo = factories.user("ngo.staff")
    with tenancy.all_tenants("test"):
        events = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.record_type == "memberships",
                                                                AuditEvent.record_id == str(ngo.memberships[0].id))).all()
    assert events and all(e.tenant_id is None for e in events)
