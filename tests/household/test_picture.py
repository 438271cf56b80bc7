"""The household picture: who is matched (ID number; without one, name and birth date; never a name
alone), what the county holds about them, and the one lawful crossing of counties (existence and the
lead unit's contact, audited) — another county's record itself is never shown."""
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from app.audit.models import AuditAction, AuditEvent
from app.cases import services as cases
from app.cases.models import CaseMember
from app.cases.reference import AssessmentOutcome
from app.core import calendar, tenancy
from app.core.models import utcnow
from app.household import queries, services
from app.household.queries import Person
from app.intake import services as intake
from app.intake.reference import ReportingChannel

P = intake.PersonInput
MOTHER_ID = "A203000005"
CENTRE = "臺北市中正社會福利服務中心"


@pytest.fixture
def taipei(factories):
    return factories.county("臺北市")


@pytest.fixture
def hualien(taipei, factories):  # 臺北市 asks, 花蓮縣 holds
    return factories.county("花蓮縣")


def receive(county, persons, concerns=("vulnerable_family",), days_ago=0):
    district = county.districts[0]
    report, _ = intake.receive(county, intake.ReportInput(
        district_id=district.id, concerns=list(concerns), narrative="圖像測試", persons=persons,
        received_at=utcnow() - timedelta(days=days_ago)), ReportingChannel("36"))
    return report


def dispatched(county, persons, dispatcher, unit, days_ago=0):
    report = receive(county, persons, days_ago=days_ago)
    intake.claim(report, dispatcher)
    return intake.dispatch(report, dispatcher, unit)


def test_persons_are_matched_by_id_number_or_name_and_birth_date_never_by_name_alone(taipei, db):
    with tenancy.tenant_scope(taipei.id):
        by_id = receive(taipei, [P("另一個名字", "F", date(1990, 1, 1), id_number=MOTHER_ID, relation="mother")])
        by_birth = receive(taipei, [P("林小弟", "M", date(2018, 5, 5), relation="child")])
        same_name_only = receive(taipei, [P("林小弟", "M", date(2019, 5, 5), relation="child")])
        other_id_same_birth = receive(taipei, [P("林美", "F", date(1990, 1, 1), id_number="A120000016")])
        pic = queries.picture([Person("林美", MOTHER_ID, date(1990, 1, 1), "mother"),
                               Person("林小弟", "", date(2018, 5, 5), "child")],
                              county_id=taipei.id, on=calendar.today())
    found = {r.id: r for r in pic.reports}
    assert by_id.id in found and found[by_id.id].persons == ["林美"]
    assert by_birth.id in found and found[by_birth.id].persons == ["林小弟"]
    assert same_name_only.id not in found  # a name alone is no match
    assert other_id_same_birth.id not in found  # both have ID numbers, and they differ


def test_the_picture_holds_reports_cases_closings_placements_tipvda_children_disabilities_and_statuses(
        taipei, db, factories):
    dispatcher, sup, sw = (factories.user(u) for u in ("tpe.dispatch", "tpe.sup", "tpe.sw1"))
    centre = factories.unit(CENTRE)
    sup_m = next(m for m in sup.memberships if m.unit_id == centre.id)
    sw_m = sw.memberships[0]
    mother = P("周美", "F", date(1990, 2, 2), id_number=MOTHER_ID, relation="mother")
    baby = P("周寶", "F", calendar.today() - timedelta(days=400), relation="child")
    older = P("周哥", "M", date(2015, 3, 3), relation="child")
    with tenancy.tenant_scope(taipei.id):
        ended = dispatched(taipei, [mother, older], dispatcher, centre, days_ago=60)
        cases.assign(ended, sup, sup_m, sw)
        cases.decide(ended, sw, sw_m, AssessmentOutcome.WELFARE_CONSULTATION, "諮詢即可")  # 不開案: ended today
        member = db.session.scalars(sa.select(CaseMember).where(CaseMember.case_id == ended.id,
                                                                CaseMember.name == "周哥")).one()
        member.flags = ["disability"]
        member.placement_ended_on = calendar.today() - timedelta(days=30)
        serving = dispatched(taipei, [mother, baby], dispatcher, centre, days_ago=10)
        cases.assign(serving, sup, sup_m, sw)
        cases.record_tipvda(serving, sw, sw_m, [True] * 9 + [False] * 6)
        services.record_external_status(source="mental_health", source_ref="MH-9", status="listed",
                                        status_label="精神照護列管", id_number=MOTHER_ID, since=date(2026, 3, 1))
        services.record_external_status(source="drug_control", source_ref="DR-9", status="listed",
                                        status_label="毒品列管", id_number=MOTHER_ID)
        services.withdraw_external_status(source="drug_control", source_ref="DR-9", reason="結案")
        report = receive(taipei, [mother, baby, older])
        db.session.flush()
        pic = queries.picture_of_report(report, calendar.today())
    assert pic.queries <= 4
    assert {c.case_no for c in pic.cases} == {ended.case_no, serving.case_no}
    assert [c.case_no for c in pic.open_cases] == [serving.case_no]
    assert [c.case_no for c in pic.closed_recently] == [ended.case_no]
    assert all(c.lead_unit == CENTRE for c in pic.cases)
    assert [(s, ) for s, _ in next(c for c in pic.cases if c.id == serving.id).tipvda] == [(9,)]
    assert [(p.person, p.case_no) for p in pic.placements] == [("周哥", ended.case_no)]
    assert [(d.person, d.what) for d in pic.disabilities] == [("周哥", "身心障礙")]
    assert [name for name, _ in pic.children_under_6] == ["周寶"]
    assert [(x.source, x.status_label) for x in pic.active_external] == [("mental_health", "精神照護列管")]
    assert [(x.source, x.withdraw_reason) for x in pic.withdrawn_external] == [("drug_control", "結案")]
    assert {r.outcome for r in pic.reports} == {f"派案：{CENTRE}"}


def test_another_county_shows_only_that_a_case_exists_and_whom_to_call_audited(
        taipei, hualien, db, factories, as_user):
    hua_unit = factories.unit("花蓮縣花蓮社會福利服務中心")
    hua_unit.phone = "03-8222222"
    with tenancy.tenant_scope(hualien.id):
        hua_case = dispatched(hualien, [P("花蓮同名", "F", date(1990, 2, 2), id_number=MOTHER_ID, relation="mother"),
                                        P("花蓮小孩", "M", date(2020, 1, 1), relation="child")],
                              factories.user("hua.dispatch"), hua_unit)
        services.record_external_status(source="mental_health", source_ref="HUA-1", status="listed",
                                        status_label="花蓮精神照護列管", id_number=MOTHER_ID)
        hua_no = hua_case.case_no
    with tenancy.tenant_scope(taipei.id):
        report = receive(taipei, [P("周美", "F", date(1990, 2, 2), id_number=MOTHER_ID, relation="mother")])
        report_id = report.id
        pic = queries.picture_of_report(report, calendar.today())
        found = services.cases_elsewhere(pic.persons, taipei.id, record_type="reports", record_id=report_id)
    assert pic.reports == [] and pic.cases == [] and pic.external == []  # nothing of 花蓮縣 in the picture
    assert found == [services.Elsewhere("花蓮縣", "花蓮縣花蓮社會福利服務中心", "03-8222222")]
    assert set(vars(found[0])) == {"county", "unit", "phone"}  # existence and contact, nothing else
    db.session.commit()
    page = as_user("tpe.dispatch").get(f"/intake/reports/{report_id}").text
    elsewhere = page[page.index('id="elsewhere"'):]
    assert "花蓮縣・花蓮縣花蓮社會福利服務中心・電話 03-8222222" in elsewhere
    for secret in (hua_no, "花蓮同名", "花蓮小孩", "花蓮精神照護列管"):
        assert secret not in page
    with tenancy.all_tenants("test: the audit log"):
        reads = db.session.scalars(sa.select(AuditEvent).where(
            AuditEvent.record_type == services.CROSS_COUNTY_RECORD)).all()
    assert reads and all(r.action == AuditAction.READ and r.tenant_id == taipei.id for r in reads)
    assert any(r.record_id == f"reports/{report_id}" and r.actor_username == "tpe.dispatch" for r in reads)


def test_a_county_never_reads_another_countys_report_or_case_through_the_picture(taipei, hualien, db, factories):
    with tenancy.tenant_scope(hualien.id):
        other = receive(hualien, [P("周美", "F", date(1990, 2, 2), id_number=MOTHER_ID)])
        other_id = other.id
    with tenancy.tenant_scope(taipei.id):
        report = receive(taipei, [P("周美", "F", date(1990, 2, 2), id_number=MOTHER_ID)])
        # even asked for 花蓮縣's rows by id, the picture names its own county in every query
        pic = queries.picture(queries.persons_of_report(report), county_id=taipei.id, on=calendar.today())
    assert other_id not in {r.id for r in pic.reports}
    with tenancy.all_tenants("test: the picture's own county filter holds without the tenant scope"):
        pic = queries.picture([Person("周美", MOTHER_ID, date(1990, 2, 2))], county_id=taipei.id,
                              on=calendar.today(), exclude_report_id=report.id)
    assert pic.reports == []


def test_the_family_record_shows_the_picture_to_its_worker(taipei, db, factories, as_user):
    dispatcher, sup, sw = (factories.user(u) for u in ("tpe.dispatch", "tpe.sup", "tpe.sw1"))
    centre = factories.unit(CENTRE)
    sup_m = next(m for m in sup.memberships if m.unit_id == centre.id)
    with tenancy.tenant_scope(taipei.id):
        earlier = receive(taipei, [P("周美", "F", date(1990, 2, 2), id_number=MOTHER_ID)], days_ago=40)
        case = dispatched(taipei, [P("周美", "F", date(1990, 2, 2), id_number=MOTHER_ID, relation="mother"),
                                   P("周寶", "F", calendar.today() - timedelta(days=500), relation="child")],
                          dispatcher, centre)
        cases.assign(case, sup, sup_m, sw)
        case_id, earlier_no = case.id, earlier.report_no
    db.session.commit()
    page = as_user("tpe.sw1").get(f"/cases/{case_id}").text
    picture = page[page.index('id="risk-flags"'):page.index('id="programme"')]
    assert earlier_no in picture and "二級A" in picture and "周寶" in picture
