"""Recording campaign visits: who may, the children's care confirmed, the
in-person rule, services with amounts, and a finding that becomes a new
report in the dispatch queue at once, on the family's timeline."""
from datetime import date

import pytest
import sqlalchemy as sa

from app.campaigns import services
from app.campaigns.models import CampaignVisit, VisitMethod
from app.cases.models import CaseEvent
from app.core import tenancy
from app.intake.models import Report, ReportStatus
from tests.campaigns.helpers import visit_child


def test_an_in_person_visit_with_a_finding_raises_a_report_at_once(listed, factories):
    t, entries = listed
    sw1 = factories.user("tpe.sw1")
    entry = entries[t["drug"].id]  # 一級C: in person
    child = visit_child(entry.case_id)
    with tenancy.tenant_scope(t["taipei"].id):
        with pytest.raises(services.CampaignError, match="受照顧情形"):
            services.record_visit(entry, sw1, sw1.memberships[0], visited_on=date(2027, 1, 30),
                                  method=VisitMethod.IN_PERSON, children=[{**child, "care_ok": False}])
        with pytest.raises(services.CampaignError, match="須面訪"):
            services.record_visit(entry, sw1, sw1.memberships[0], visited_on=date(2027, 1, 30), method=VisitMethod.PHONE,
                                  children=[{**child, "care_ok": True}])
        with pytest.raises(services.CampaignError, match="負責訪視的單位"):
            dv = factories.user("tpe.dv1")
            services.record_visit(entry, dv, dv.memberships[0], visited_on=date(2027, 1, 30),
                                  method=VisitMethod.IN_PERSON, children=[{**child, "care_ok": True}])
        attempt = services.record_visit(entry, sw1, sw1.memberships[0], visited_on=date(2027, 1, 28),
                                        method=VisitMethod.NOT_REACHED)
        visit = services.record_visit(entry, sw1, sw1.memberships[0], visited_on=date(2027, 1, 30),
                                      method=VisitMethod.IN_PERSON, persons_seen="林媽媽、林小弟",
                                      children=[{**child, "seen": True, "care_ok": True, "note": "身上有新舊瘀傷"}],
                                      services=[{"kind": "emergency_cash", "amount": 10000}],
                                      finding="林小弟身上有新舊瘀傷，稱係父親所打")
        report = services.db.session.get(Report, visit.new_report_id)
        assert report.status == ReportStatus.RECEIVED and "child_protection" in report.concerns
        assert "新舊瘀傷" in report.narrative and report.channel.value == "10"
        events = services.db.session.scalars(sa.select(CaseEvent.summary).where(
            CaseEvent.case_id == entry.case_id, CaseEvent.kind == "campaign").order_by(CaseEvent.id)).all()
        assert events[0].startswith("春節關懷未遇") and "已通報" in events[1]
        assert attempt.method == VisitMethod.NOT_REACHED
        with pytest.raises(services.CampaignError, match="金額"):
            services.record_visit(entry, sw1, sw1.memberships[0], visited_on=date(2027, 1, 31),
                                  method=VisitMethod.IN_PERSON, children=[{**child, "care_ok": True}],
                                  services=[{"kind": "emergency_cash", "amount": 0}])


def test_a_phone_call_is_enough_for_a_family_not_marked_for_in_person(listed, factories):
    t, entries = listed
    sw1 = factories.user("tpe.sw1")
    entry = entries[t["young"].id]  # 二級A + 二級C
    with tenancy.tenant_scope(t["taipei"].id):
        visit = services.record_visit(entry, sw1, sw1.memberships[0], visited_on=date(2027, 1, 29),
                                      method=VisitMethod.PHONE, children=[{**visit_child(entry.case_id), "care_ok": True}])
        assert visit.new_report_id is None
        assert services.db.session.scalar(sa.select(sa.func.count(CampaignVisit.id))) == 1


def test_the_visiting_worker_records_a_visit_on_the_page(listed, as_user, db):
    t, entries = listed
    entry = entries[t["drug"].id]
    child = visit_child(entry.case_id)
    url = f"/campaigns/{t['campaign'].id}/entries/{entry.id}/visit"
    db.session.commit()
    worker = as_user("tpe.sw1")
    assert "須面訪" in worker.get(url).text
    form = {"visited_on": "116/01/30", "method": "in_person", "persons_seen": "林媽媽", "cash": "8000",
            "finding": "孩子說晚上常沒有大人在家"}
    refused = worker.post(url, form)
    assert refused.status_code == 422 and "受照顧情形" in refused.text and "孩子說晚上常沒有大人在家" in refused.text
    done = worker.post(url, {**form, f"child-{child['member_id']}-care": "y", f"child-{child['member_id']}-seen": "y"})
    assert done.status_code == 303
    page = worker.get(f"/campaigns/{t['campaign'].id}/visits").text
    assert "已通報" in page and "兒少 1/1 人確認" in page
    assert as_user("tpe.dv1").get(url).status_code == 404  # not the visiting unit
    assert as_user("hua.sw1").get(url).status_code == 404


def test_progress_by_unit_and_by_day_for_the_county_and_counts_only_for_the_ministry(listed, factories, as_user, db):
    t, entries = listed
    sw1 = factories.user("tpe.sw1")
    drug, young = entries[t["drug"].id], entries[t["young"].id]
    with tenancy.tenant_scope(t["taipei"].id):
        services.record_visit(drug, sw1, sw1.memberships[0], visited_on=date(2027, 1, 28), method=VisitMethod.NOT_REACHED)
        services.record_visit(drug, sw1, sw1.memberships[0], visited_on=date(2027, 1, 29), method=VisitMethod.NOT_REACHED)
        services.record_visit(young, sw1, sw1.memberships[0], visited_on=date(2027, 1, 29), method=VisitMethod.PHONE,
                              children=[{**visit_child(young.case_id), "care_ok": True}])
        figures = services.progress(t["campaign"], t["taipei"].id)
    row = figures["rows"][t["centre"].id]
    assert row == {"listed": 2, "in_person_required": 1, "in_person": 0, "phone": 1, "not_reached": 1, "attempts": 2,
                   "not_yet": 0, "children_confirmed": 1, "in_person_missing": 0}
    assert figures["days"][date(2027, 1, 29)] == {"in_person": 0, "phone": 1, "not_reached": 1}
    case_no = t["drug"].case_no
    db.session.commit()
    county = as_user("tpe.admin").get(f"/campaigns/{t['campaign'].id}/progress").text
    assert "臺北市中正社會福利服務中心" in county and "假期將至" in county
    national = as_user("moh.protect").get(f"/campaigns/{t['campaign'].id}/progress").text
    assert "臺北市" in national and "各縣市進度" in national
    assert case_no not in national and "林媽媽" not in national  # counts only
