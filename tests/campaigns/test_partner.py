"""A partner organisation as a family's visiting unit: its staff see only the
families assigned to their unit, with only what a visit needs, record the
visit into the family's county, and a finding reaches that county's queue."""
from datetime import date

import pytest
import sqlalchemy as sa

from app.audit.models import AuditEvent
from app.campaigns import services
from app.campaigns.models import CampaignVisit, VisitEntry
from app.cases.models import CaseEvent, CaseMember
from app.core import tenancy
from app.intake.models import Report


@pytest.fixture
def assigned(taipei_cases, factories, monkeypatch, db):
    t = taipei_cases
    monkeypatch.setattr(services, "today", lambda: date(2027, 2, 1))
    ngo = factories.user("ngo.staff").memberships[0].unit
    with tenancy.tenant_scope(t["taipei"].id):
        services.compute_list(t["campaign"], t["taipei"].id)
        entries = {e.case_id: e for e in db.session.scalars(sa.select(VisitEntry))}
        assert ngo in services.visiting_unit_choices(t["taipei"].id)
        services.set_visiting_unit(entries[t["drug"].id], ngo)
        child = db.session.scalars(sa.select(CaseMember).where(CaseMember.case_id == t["drug"].id,
                                                               CaseMember.relation == "child")).one()
        facts = {"campaign": t["campaign"].id, "mine": entries[t["drug"].id].id, "other": entries[t["young"].id].id,
                 "case": t["drug"].id, "case_no": t["drug"].case_no, "child": child.id, "taipei": t["taipei"].id,
                 "young_no": t["young"].case_no}
    db.session.commit()
    return facts


def test_partner_staff_see_only_their_families_and_only_what_a_visit_needs(assigned, as_user):
    f = assigned
    ngo = as_user("ngo.staff")
    assert "負責 1 戶" in ngo.get("/campaigns/mine").text
    page = ngo.get(f"/campaigns/{f['campaign']}/visits").text
    assert f["case_no"] in page and f["young_no"] not in page and "春節關懷對象" in page
    assert "精神照護" not in page and "毒危" not in page and "/cases/" not in page  # no indicator detail, no case link
    assert ngo.get(f"/campaigns/{f['campaign']}/entries/{f['other']}/visit").status_code == 404
    assert ngo.get(f"/cases/{f['case']}").status_code in (403, 404)
    form = ngo.get(f"/campaigns/{f['campaign']}/entries/{f['mine']}/visit").text
    assert "須面訪" in form and "林小弟" in form and "精神照護" not in form
    assert ngo.get(f"/campaigns/{f['campaign']}").status_code in (403, 404)  # the county's list is not theirs
    # the county's own worker no longer sees the family reassigned to the partner
    assert f["case_no"] not in as_user("tpe.sw1").get(f"/campaigns/{f['campaign']}/visits").text


def test_a_partner_visit_with_a_finding_lands_in_the_familys_county(assigned, as_user, db):
    f = assigned
    ngo = as_user("ngo.staff")
    url = f"/campaigns/{f['campaign']}/entries/{f['mine']}/visit"
    done = ngo.post(url, {"visited_on": "116/01/31", "method": "in_person", "persons_seen": "林媽媽、林小弟",
                          f"child-{f['child']}-seen": "y", f"child-{f['child']}-care": "y", "meals": "y",
                          "finding": "林小弟說晚上常一個人在家"})
    assert done.status_code == 303
    with tenancy.all_tenants("test: where the partner's writes went"):
        visit = db.session.scalars(sa.select(CampaignVisit)).one()
        report = db.session.get(Report, visit.new_report_id)
        assert visit.tenant_id == report.tenant_id == f["taipei"] and "家扶基金會臺北市服務處" in report.reporter.organisation
        report_no = report.report_no
        assert db.session.scalars(sa.select(CaseEvent).where(CaseEvent.case_id == f["case"],
                                                             CaseEvent.kind == "campaign")).one().unit_name
        audited = db.session.scalars(sa.select(AuditEvent.record_type).where(AuditEvent.tenant_id == f["taipei"])).all()
        assert "campaign_visits" in audited and "reports" in audited
    assert "已通報" in ngo.get(f"/campaigns/{f['campaign']}/visits").text
    queue = as_user("tpe.dispatch").get("/intake/queue").text
    assert report_no in queue
