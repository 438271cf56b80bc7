"""The centre's pages: the dispatcher sees the route, the worker investigates and dispatches once; who sees what."""
from datetime import timedelta

import sqlalchemy as sa

from app.accounts.models import Role
from app.cases.models import FamilyCase
from app.core import tenancy
from app.investigations.models import Investigation, InvestigationStatus as S
from app.tenants.models import UnitKind

from tests.factories import PASSWORD

from .conftest import BEFORE, receive, to_centre


def _inv_id(db, county_id, report_id):
    with tenancy.tenant_scope(county_id):
        return db.session.scalar(sa.select(Investigation.id).where(Investigation.report_id == report_id))


def test_dispatcher_sees_the_route_and_is_held_to_it(db, centre, as_user):
    c = centre
    with tenancy.tenant_scope(c["county"].id):
        after = receive(c["county"])
        before = receive(c["county"], received_at=BEFORE)
        ids = (after.id, before.id)
    db.session.commit()
    dispatcher = as_user("tpe.dispatch")
    for rid in ids:
        dispatcher.post(f"/intake/reports/{rid}/claim")
    page = dispatcher.get(f"/intake/reports/{ids[0]}").get_data(as_text=True)
    assert "送調查：通報調查處理中心" in page and "當日或之後" in page
    page = dispatcher.get(f"/intake/reports/{ids[1]}").get_data(as_text=True)
    assert "原路徑：家防中心" in page and "早於" in page
    refused = dispatcher.post(f"/intake/reports/{ids[0]}/dispatch", {"d-lead_unit_id": c["dv"].id, "d-child_grade": "2",
                                                                     "d-child_class": "1", "d-note": "我打的說明"})
    body = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "主責單位請選「臺北市通報調查處理中心」" in body and "我打的說明" in body
    done = dispatcher.post(f"/intake/reports/{ids[0]}/dispatch", {"d-lead_unit_id": c["unit"].id, "d-child_grade": "2",
                                                                  "d-child_class": "1", "d-note": "兒少保護，送調查"})
    assert done.status_code in (302, 303)
    assert _inv_id(db, c["county"].id, ids[0]) is not None


def test_worker_investigates_concludes_and_dispatches_once(db, centre, as_user):
    c = centre
    report = to_centre(c)
    report_id, report_no = report.id, report.report_no  # taken before the commit ends the county's scope (RLS)
    db.session.commit()
    inv_id = _inv_id(db, c["county"].id, report_id)
    worker = as_user("tpe.inv1", PASSWORD)
    queue = worker.get("/investigations/").get_data(as_text=True)
    assert report_no in queue and "待調查" in queue
    assert worker.post(f"/investigations/{inv_id}/start", {"start-note": "家訪"}).status_code in (302, 303)
    missing = worker.post(f"/investigations/{inv_id}/conclude", {"done-note": "我打的結果"})
    assert missing.status_code == 422 and "請選擇「調查結果」" in missing.get_data(as_text=True)
    assert "我打的結果" in missing.get_data(as_text=True)
    assert worker.post(f"/investigations/{inv_id}/conclude", {"done-substantiated": "1", "done-service_need": "1",
                                                              "done-note": "成立"}).status_code in (302, 303)
    form = {"send-unit_id": c["welfare"].id, "send-note": "家庭支持"}
    first = worker.post(f"/investigations/{inv_id}/dispatch", form)
    second = worker.post(f"/investigations/{inv_id}/dispatch", form)  # a double click
    assert first.status_code in (302, 303)
    assert second.status_code in (409, 422) and "不會重複派案" in second.get_data(as_text=True) or "不能" in second.get_data(as_text=True)
    with tenancy.tenant_scope(c["county"].id):
        inv = db.session.get(Investigation, inv_id)
        assert inv.status == S.DISPATCHED
        assert db.session.scalar(sa.select(sa.func.count()).select_from(FamilyCase)
                                 .where(FamilyCase.id == inv.dispatched_case_id)) == 1
        from app.intake.models import Report
        assert db.session.get(Report, report_id).case_id == inv.dispatched_case_id


def test_who_sees_what(db, centre, as_user, factories):
    c = centre
    report = to_centre(c)
    report_id, report_no = report.id, report.report_no
    hua_centre = factories.UnitFactory(county=factories.county("花蓮縣"), kind=UnitKind.INVESTIGATION_CENTRE)
    factories.UserFactory(unit=hua_centre, role=Role.SUPERVISOR, username="hua.invsup")
    db.session.commit()
    inv_id = _inv_id(db, c["county"].id, report_id)
    hua = as_user("hua.invsup", PASSWORD)
    assert hua.get(f"/investigations/{inv_id}").status_code == 404
    assert report_no not in hua.get("/investigations/").get_data(as_text=True)
    assert hua.post(f"/investigations/{inv_id}/start", {}).status_code == 404
    for username in ("tpe.sw1", "tpe.dispatch", "moh.protect", "ngo.staff"):
        person = as_user(username)
        assert person.get("/investigations/").status_code == 403, username
        assert person.get(f"/investigations/{inv_id}").status_code in (403, 404), username
    assert as_user("tpe.inv1", PASSWORD).get(f"/investigations/{inv_id}").status_code == 200


def test_county_admin_sets_the_start_date(db, centre, as_user, factories):
    admin = as_user("tpe.admin")
    page = admin.get("/investigations/settings").get_data(as_text=True)
    assert "115/07/01" in page and "臺北市通報調查處理中心" in page
    bad = admin.post("/investigations/settings", {"investigation_from": "115/13/45"})
    assert bad.status_code == 422 and "115/13/45" in bad.get_data(as_text=True)
    assert admin.post("/investigations/settings", {"investigation_from": "116/03/01"}).status_code in (302, 303)
    db.session.expire_all()
    assert str(factories.county("臺北市").investigation_from) == "2027-03-01"
    from app.audit.models import AuditEvent
    with tenancy.tenant_scope(c_id := factories.county("臺北市").id):
        events = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.record_type == "counties",
                                                                AuditEvent.tenant_id == c_id)).all()
        assert any("investigation_from" in str(e.changes) for e in events)


def test_the_investigator_sees_who_and_where_and_which_clock_runs(db, centre, as_user):
    """Issue 21's walk: the investigation page shows the report's persons, address and the household picture
    (flags included); the countdown stands beside the deadline it counts; a late first contact is said."""
    c = centre
    report = to_centre(c)
    report_id = report.id
    db.session.commit()
    inv_id = _inv_id(db, c["county"].id, report_id)
    worker = as_user("tpe.inv1", PASSWORD)
    page = worker.get(f"/investigations/{inv_id}").get_data(as_text=True)
    assert "陳小華" in page and "案家與相關人員" in page and 'id="risk-flags"' in page and "家戶圖像" in page
    contact, conclude = page.split("首次接觸時限", 1)[1].split("完成調查時限", 1)
    assert "deadline-chip" in contact and "deadline-chip" not in conclude.split("</dd>", 1)[0]
    with tenancy.tenant_scope(c["county"].id):
        inv = db.session.get(Investigation, inv_id)
        late = inv.contact_due_at + timedelta(days=3)
    assert worker.post(f"/investigations/{inv_id}/start", {"start-note": "家訪"}).status_code in (302, 303)
    with tenancy.tenant_scope(c["county"].id):
        db.session.get(Investigation, inv_id).first_contact_at = late
        db.session.commit()
    page = worker.get(f"/investigations/{inv_id}").get_data(as_text=True)
    contact, conclude = page.split("首次接觸時限", 1)[1].split("完成調查時限", 1)
    assert "逾期 3 天" in contact and "deadline-chip" in conclude.split("</dd>", 1)[0]
