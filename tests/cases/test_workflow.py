"""Service tests of the family case: transitions, deadlines, vulnerability level,
approvals, re-reports, version conflicts."""
from datetime import date, datetime, timedelta, timezone
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings, strategies as st

from app.core.calendar import today as taipei_today
from app.accounts.models import Role
from app.cases import deadlines, services
from app.cases import queries as case_queries
from app.cases.models import CaseEvent, CaseStatus, CaseTransition, FamilyCase, PlanReview, ServicePlan
from app.cases.reference import (
    AssessmentOutcome,
    ContactMethod,
    Level,
    SafetyResult,
    ServiceStatus,
)
from app.core import tenancy, workflow
from app.core.enums import LabeledEnum
from app.core.models import utcnow
from app.extensions import db as _db
from app.intake import services as intake
from app.intake.models import ChildClass, ChildGrade
from app.intake.reference import Relation, ReportingChannel, Sex

P = intake.PersonInput


@pytest.fixture
def taipei(factories):
    return factories.county("臺北市")


@pytest.fixture
def scope(taipei):
    with tenancy.tenant_scope(taipei.id):
        yield


@pytest.fixture
def people(factories):
    """The people the rules are about, made for the test (not the demo accounts): a supervisor and a
    worker of 中正社福中心, a worker of 萬華社福中心, the 家防中心's supervisor and worker, a dispatcher."""
    centre, wanhua = factories.unit("臺北市中正社會福利服務中心"), factories.unit("臺北市萬華社會福利服務中心")
    dv = factories.unit("臺北市家庭暴力暨性侵害防治中心")

    def person(unit, role):
        user = factories.UserFactory(unit=unit, role=role)
        return user, factories.membership(user, unit)
    return {
        "sup": person(centre, Role.SUPERVISOR), "sw1": person(centre, Role.SOCIAL_WORKER),
        "sw2_wanhua": person(wanhua, Role.SOCIAL_WORKER),
        "dvsup": person(dv, Role.SUPERVISOR), "dv1": person(dv, Role.SOCIAL_WORKER),
        "dispatcher": person(factories.unit("臺北市集中篩派案中心"), Role.DISPATCHER)[0],
    }


def dispatched_case(taipei, factories, people, *, concerns=("vulnerable_family",), persons=None, grade=None,
                    unit="臺北市中正社會福利服務中心", received_at=None):
    options = {"child_grade": ChildGrade(grade), "child_class": ChildClass.FIRST} if grade else {}
    return factories.FamilyCaseFactory(
        lead=factories.unit(unit), district=next(d for d in taipei.districts if d.name == "中正區"),
        dispatcher=people["dispatcher"], concerns=concerns, received_at=received_at, dispatch_options=options,
        **({"persons": persons} if persons else {}))


def test_the_whole_path_records_every_step(db, taipei, scope, factories, people):
    sup, sup_m = people["sup"]
    sw, sw_m = people["sw1"]
    case = dispatched_case(taipei, factories, people)
    assert case.status == CaseStatus.AWAITING_ASSIGNMENT
    services.assign(case, sup, sup_m, sw)
    assert case.status == CaseStatus.ASSESSING and case.assigned_worker_id == sw.id
    child = next(m for m in case.members if m.is_child)
    services.record_contact(case, sw, sw_m, contacted_at=utcnow(), method=ContactMethod.HOME_VISIT,
                            duration_minutes=60, persons_seen=[child.id], child_seen=True, note="家訪")
    assert case.first_visit_at is not None and case.child_seen_at is not None
    table = services.factor_table_in_force()
    medium = next(f for f in table.factors if f.level == Level.MEDIUM)
    services.assess_vulnerability(case, sw, sw_m, dimensions=["economic"], factor_ids=[medium.id])
    services.write_assessment_report(case, sw, sw_m, reason_confirmed="a", diagnosis="b", goals="c", plan_proposal="d")
    services.decide(case, sw, sw_m, AssessmentOutcome.CASE_MANAGEMENT)
    assert case.status == CaseStatus.OPENING_REVIEW
    services.review_opening(case, sup, sup_m, approve=True)
    assert case.status == CaseStatus.OPEN and case.opening_level == Level.MEDIUM and case.opened_at
    plan = services.add_plan(case, sw, sw_m, goals="穩定經濟", agreed_by="王媽媽", agreed_on=taipei_today(),
                             review_due=taipei_today() + timedelta(days=90))
    services.add_service(case, sw, sw_m, item="s1_emergency", status=ServiceStatus.DELIVERED, on=taipei_today(),
                         amount=10000, note="急難紓困")
    services.review_plan(case, plan, sw, sw_m, note="持續", next_review=taipei_today() + timedelta(days=60))
    assert services.next_plan_review(case) == taipei_today() + timedelta(days=60)
    services.propose_closing(case, sw, sw_m, "目標達成", Level.LOW)
    services.review_closing(case, sup, sup_m, approve=True)
    assert case.status == CaseStatus.CLOSED and case.closing_level == Level.LOW and case.closed_at
    transitions = db.session.scalars(sa.select(CaseTransition).where(CaseTransition.case_id == case.id)
                                     .order_by(CaseTransition.id)).all()
    assert [t.to_status.value for t in transitions] == ["assessing", "opening_review", "open", "closing_review", "closed"]
    assert all(t.actor_name for t in transitions)
    kinds = [e.kind for e in db.session.scalars(sa.select(CaseEvent).where(CaseEvent.case_id == case.id))]
    for kind in ("report", "status", "contact", "vulnerability", "assessment_report", "plan", "service", "plan_review"):
        assert kind in kinds


def test_transitions_not_allowed_are_refused(db, taipei, scope, factories, people):
    sup, sup_m = people["sup"]
    sw, sw_m = people["sw1"]
    case = dispatched_case(taipei, factories, people)
    with pytest.raises(services.CaseError, match="評估中的個案"):
        services.decide(case, sup, sup_m, AssessmentOutcome.WELFARE_CONSULTATION)
    with pytest.raises(services.CaseError, match="開案服務中"):
        services.propose_closing(case, sup, sup_m, "x", Level.LOW)
    with pytest.raises(services.CaseError, match="不能改為"):
        services._move(case, CaseStatus.CLOSED, sup, sup_m)
    assert set(services.TRANSITIONS) == set(CaseStatus)


def test_only_the_lead_units_supervisor_approves_and_assigns(db, taipei, scope, factories, people):
    sup, sup_m = people["sup"]
    sw, sw_m = people["sw1"]
    dvsup, dvsup_m = people["dvsup"]
    case = dispatched_case(taipei, factories, people)
    with pytest.raises(services.CaseError, match="主責單位督導"):
        services.assign(case, sw, sw_m, sw)
    with pytest.raises(services.CaseError, match="主責單位督導"):
        services.assign(case, dvsup, dvsup_m, sw)
    with pytest.raises(services.CaseError, match="不是本單位"):
        services.assign(case, sup, sup_m, people["dv1"][0])
    services.assign(case, sup, sup_m, sw)
    medium = next(f for f in services.factor_table_in_force().factors if f.level == Level.MEDIUM)
    services.assess_vulnerability(case, sw, sw_m, dimensions=["economic"], factor_ids=[medium.id])
    services.decide(case, sw, sw_m, AssessmentOutcome.CASE_MANAGEMENT)
    with pytest.raises(services.CaseError, match="主責單位督導"):
        services.review_opening(case, sw, sw_m, approve=True)
    with pytest.raises(services.CaseError, match="寫明意見"):
        services.review_opening(case, sup, sup_m, approve=False)
    services.review_opening(case, sup, sup_m, approve=False, comment="請補充經濟狀況")
    assert case.status == CaseStatus.ASSESSING and case.outcome is None


def test_other_outcomes_do_not_open_the_case(db, taipei, scope, factories, people):
    sup, sup_m = people["sup"]
    case = dispatched_case(taipei, factories, people)
    services.assign(case, sup, sup_m, people["sw1"][0])
    services.decide(case, sup, sup_m, AssessmentOutcome.WELFARE_CONSULTATION, "提供福利諮詢")
    assert case.status == CaseStatus.NOT_OPENED and case.outcome.open_case_code == "S"
    services.reopen(case, sup, sup_m, "家長再次求助")
    assert case.status == CaseStatus.ASSESSING
    assert db.session.scalar(sa.select(sa.func.count(CaseTransition.id)).where(CaseTransition.case_id == case.id)) == 3


def test_vulnerable_family_needs_an_assessment_before_opening(db, taipei, scope, factories, people):
    sup, sup_m = people["sup"]
    case = dispatched_case(taipei, factories, people)
    services.assign(case, sup, sup_m, people["sw1"][0])
    with pytest.raises(services.CaseError, match="脆弱性評估"):
        services.decide(case, sup, sup_m, AssessmentOutcome.CASE_MANAGEMENT)


def test_level_follows_the_highest_factor_and_can_be_overridden_with_a_reason(db, taipei, scope, factories, people):
    sw, sw_m = people["sw1"]
    case = dispatched_case(taipei, factories, people)
    factors = services.factor_table_in_force().factors
    high = next(f for f in factors if f.level == Level.HIGH)
    low = next(f for f in factors if f.level == Level.LOW)
    medium = next(f for f in factors if f.level == Level.MEDIUM)
    assert services.derive_level([low, medium, high]) == Level.HIGH
    assert services.derive_level([low]) == Level.LOW
    assessment = services.assess_vulnerability(case, sw, sw_m, dimensions=["economic", "relationship"],
                                               factor_ids=[low.id, medium.id])
    assert assessment.derived_level == Level.MEDIUM and assessment.level == Level.MEDIUM
    with pytest.raises(services.CaseError, match="理由"):
        services.assess_vulnerability(case, sw, sw_m, dimensions=["economic"], factor_ids=[medium.id],
                                      override_level=Level.HIGH)
    with pytest.raises(services.CaseError, match="不可重複"):
        services.assess_vulnerability(case, sw, sw_m, dimensions=["economic", "economic"], factor_ids=[medium.id])
    over = services.assess_vulnerability(case, sw, sw_m, dimensions=["economic"], factor_ids=[medium.id],
                                         override_level=Level.HIGH, override_reason="案母曾表示輕生念頭")
    assert over.derived_level == Level.MEDIUM and over.level == Level.HIGH
    assert services.latest_vulnerability(case).id == over.id


def test_assessment_report_needs_all_four_parts(db, taipei, scope, factories, people):
    sw, sw_m = people["sw1"]
    case = dispatched_case(taipei, factories, people)
    with pytest.raises(services.CaseError, match="服務目標之訂定、服務計畫之建議"):
        services.write_assessment_report(case, sw, sw_m, reason_confirmed="a", diagnosis="b", goals=" ", plan_proposal="")


def test_deadlines_from_stored_times_on_any_day(db, taipei, scope, factories, people):
    received = datetime(2026, 11, 1, 1, 0, tzinfo=timezone.utc)
    case = dispatched_case(taipei, factories, people, received_at=received)
    at = lambda **kw: received + timedelta(**kw)  # noqa: E731
    by_key = lambda now: {d.key: d for d in deadlines.case_deadlines(case, now)}  # noqa: E731
    assert by_key(at(days=1))["first_visit"].state == "due"
    assert by_key(at(days=8, hours=1))["first_visit"].state == "soon"
    assert by_key(at(days=10))["first_visit"].state == "soon"  # the very last moment still counts
    assert by_key(at(days=10, seconds=1))["first_visit"].state == "overdue"
    assert by_key(at(days=31))["assessment_report"].state == "overdue"
    case.first_visit_at = at(days=9)
    assert by_key(at(days=40))["first_visit"].state == "done"
    case.first_visit_at = at(days=11)
    assert by_key(at(days=40))["first_visit"].state == "late"
    assert "child_seen" not in by_key(at(days=1))


def test_first_grade_child_must_be_seen_within_24_hours(db, taipei, scope, factories, people):
    case = dispatched_case(taipei, factories, people, concerns=("child_protection",), grade="1",
                           unit="臺北市家庭暴力暨性侵害防治中心")
    due = {d.key: d for d in deadlines.case_deadlines(case, case.received_at + timedelta(hours=25))}
    assert due["child_seen"].state == "overdue" and "first_visit" not in due
    dvsup, dvsup_m = people["dvsup"]
    dv1, dv1_m = people["dv1"]
    services.assign(case, dvsup, dvsup_m, dv1)
    child = next(m for m in case.members if m.is_child)
    with pytest.raises(services.CaseError, match="面訪"):
        services.record_contact(case, dv1, dv1_m, contacted_at=utcnow(), method=ContactMethod.PHONE, duration_minutes=5,
                                persons_seen=[child.id], child_seen=True, note="")
    with pytest.raises(services.CaseError, match="會見對象"):
        services.record_contact(case, dv1, dv1_m, contacted_at=utcnow(), method=ContactMethod.HOME_VISIT,
                                duration_minutes=5, persons_seen=[], child_seen=True, note="")
    services.record_contact(case, dv1, dv1_m, contacted_at=utcnow(), method=ContactMethod.HOME_VISIT, duration_minutes=30,
                            persons_seen=[child.id], child_seen=True, note="")
    services.record_safety(case, dv1, dv1_m, child.id, SafetyResult.SAFE_WITH_PLAN, "安全計畫：外婆同住")
    mother = next(m for m in case.members if not m.is_child)
    with pytest.raises(services.CaseError, match="兒少成員"):
        services.record_safety(case, dv1, dv1_m, mother.id, SafetyResult.SAFE)


def test_tipvda_and_retest(db, taipei, scope, factories, people):
    sw, sw_m = people["sw1"]
    case = dispatched_case(taipei, factories, people)
    first = services.record_tipvda(case, sw, sw_m, [True] * 9 + [False] * 6)
    assert (first.score, first.band) == (9, "高度危險")
    retest = services.record_tipvda(case, sw, sw_m, [True] * 5 + [False] * 10)
    assert (retest.score, retest.band) == (5, "潛在危險")
    with pytest.raises(services.CaseError, match="逐題"):
        services.record_tipvda(case, sw, sw_m, [True] * 3)


def test_services_with_amounts(db, taipei, scope, factories, people):
    sw, sw_m = people["sw1"]
    case = dispatched_case(taipei, factories, people)
    with pytest.raises(services.CaseError, match="金額"):
        services.add_service(case, sw, sw_m, item="s1_cash", status=ServiceStatus.DELIVERED, on=taipei_today(), amount=None, note="")
    with pytest.raises(services.CaseError, match="清單"):
        services.add_service(case, sw, sw_m, item="nonsense", status=ServiceStatus.DELIVERED, on=taipei_today(), amount=1, note="")
    planned = services.add_service(case, sw, sw_m, item="s1_cash", status=ServiceStatus.PLANNED, on=taipei_today(), amount=None, note="")
    consult = services.add_service(case, sw, sw_m, item="s1_consultation", status=ServiceStatus.DELIVERED, on=taipei_today(),
                                   amount=500, note="")
    assert planned.amount is None and consult.amount is None  # no amount on a non-cash item


def test_a_report_within_12_months_of_closing_is_a_re_report(db, taipei, scope, factories, people):
    sup, sup_m = people["sup"]
    persons = [P("陳小華", "F", date(2015, 5, 5), id_number="A223456781", relation="child")]
    case = dispatched_case(taipei, factories, people, persons=persons)
    services.assign(case, sup, sup_m, people["sw1"][0])
    services.decide(case, sup, sup_m, AssessmentOutcome.WELFARE_CONSULTATION)
    assert case.closed_at is not None
    again = dispatched_case(taipei, factories, people, persons=persons)
    assert again.re_report_of_id == case.id
    case.closed_at = utcnow() - timedelta(days=400)
    db.session.flush()
    later = dispatched_case(taipei, factories, people, persons=[P("陳小華", "F", date(2015, 5, 5), relation="child")])
    assert later.re_report_of_id is None


def test_a_stale_form_is_refused_and_the_first_save_stands(db, taipei, scope, factories, people):
    sw, sw_m = people["sw1"]
    case = dispatched_case(taipei, factories, people)
    opened_version = case.version
    services.update_household(case, sw, sw_m, version=opened_version, address="第一個人的地址", phone="", members={})
    db.session.flush()
    with pytest.raises(services.StaleEdit, match=f"已由 {sw.display_name} 更新"):
        services.update_household(case, sw, sw_m, version=opened_version, address="第二個人的地址", phone="", members={})
    assert case.address == "第一個人的地址"


def test_workers_of_units_not_on_the_case_cannot_write(db, taipei, scope, factories, people):
    case = dispatched_case(taipei, factories, people)
    wanhua_user, wanhua_m = people["sw2_wanhua"]
    assert not services.can_read(case, wanhua_m)
    with pytest.raises(services.CaseError, match="主責或協力"):
        services.add_note(case, wanhua_user, wanhua_m, "不該寫入")
    dispatch_m = people["dispatcher"].memberships[0]
    assert services.can_read(case, dispatch_m) and not services.can_write(case, dispatch_m)


def test_caseload_counts_open_cases(db, taipei, scope, factories, people):
    sup, sup_m = people["sup"]
    sw = people["sw1"][0]
    for _ in range(3):
        services.assign(dispatched_case(taipei, factories, people), sup, sup_m, sw)
    loads = {l.user.username: l.open_cases for l in services.workers_with_load(sup_m.unit_id)}
    assert loads[sw.username] == 3 and loads[sup.username] == 0


def test_nothing_is_due_on_a_case_no_longer_served(db, taipei, scope, factories, people):
    sup, sup_m = people["sup"]
    case = dispatched_case(taipei, factories, people)
    services.assign(case, sup, sup_m, people["sw1"][0])
    services.decide(case, sup, sup_m, AssessmentOutcome.WELFARE_CONSULTATION)
    assert deadlines.case_deadlines(case, case.received_at + timedelta(days=40)) == []


def test_open_case_without_a_report(db, taipei, scope, factories):
    unit = factories.unit("臺北市中正社會福利服務中心")
    case = services.open_case(taipei.id, family_name="王○○家", lead_unit_id=unit.id, concerns=["vulnerable_family"],
                              members=[{"name": "王小明", "relation": Relation.CHILD, "sex": Sex.MALE, "estimated_age": 9}],
                              reason="跨縣市轉銜受案：R-1")
    assert case.status == CaseStatus.AWAITING_ASSIGNMENT and case.lead_unit.id == unit.id
    assert [(m.name, m.relation, m.sex, m.estimated_age) for m in case.members] == [("王小明", Relation.CHILD, Sex.MALE, 9)]
    assert any(e.summary == "跨縣市轉銜受案：R-1" for e in db.session.scalars(sa.select(CaseEvent).where(CaseEvent.case_id == case.id)))


def test_a_workflow_that_declares_case_of_writes_the_family_timeline(db, taipei, scope, factories, people):
    class Door(LabeledEnum):
        SHUT = ("shut", "關")
        OPEN = ("open", "開")

    case = dispatched_case(taipei, factories, people)
    T = workflow.Transition
    workflow.REGISTRY.pop("test-family-door", None)
    door = workflow.Workflow("test-family-door", label="門", states=Door, record_type="doors",
                             describe=lambda r: "門 1", case_of=lambda r: case, timeline_kind="door",
                             transitions=[T("make", (None,), Door.SHUT, "建立"), T("open", (Door.SHUT,), Door.OPEN, "開門")])
    try:
        thing = SimpleNamespace(id=1, tenant_id=taipei.id, status=None)
        door.start(thing)
        door.fire(thing, "open", actor=people["sup"][0], membership=people["sup"][1], reason="通風")
        events = db.session.scalars(sa.select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.kind == "door")
                                    .order_by(CaseEvent.id)).all()
        assert [e.summary for e in events] == ["門 1：建立（關）", "門 1：關 → 開（通風）"]
        assert events[-1].actor_name == people["sup"][0].display_name
    finally:
        workflow.REGISTRY.pop("test-family-door", None)


def test_a_report_joins_an_open_case_named_by_its_id(db, taipei, scope, factories, people):
    case = dispatched_case(taipei, factories, people)
    district = next(d for d in taipei.districts if d.name == "中正區")
    report, _ = intake.receive(taipei, intake.ReportInput(district_id=district.id, concerns=["vulnerable_family"],
                                                          narrative="再次通報", persons=[P("王小明", "M", date(2016, 1, 1))]),
                               ReportingChannel("36"))
    intake.claim(report, people["dispatcher"])
    joined = intake.dispatch(report, people["dispatcher"], factories.unit("臺北市中正社會福利服務中心"),
                             attach_to_case_id=case.id)
    assert joined.id == case.id and report.case_id == case.id


def _open_case(taipei, factories, people):
    sup, sup_m = people["sup"]
    sw, sw_m = people["sw1"]
    case = dispatched_case(taipei, factories, people)
    services.assign(case, sup, sup_m, sw)
    services.record_contact(case, sw, sw_m, contacted_at=utcnow(), method=ContactMethod.HOME_VISIT,
                            duration_minutes=60, persons_seen=[], child_seen=False, note="家訪")
    medium = next(f for f in services.factor_table_in_force().factors if f.level == Level.MEDIUM)
    services.assess_vulnerability(case, sw, sw_m, dimensions=["economic"], factor_ids=[medium.id])
    services.write_assessment_report(case, sw, sw_m, reason_confirmed="a", diagnosis="b", goals="c", plan_proposal="d")
    services.decide(case, sw, sw_m, AssessmentOutcome.CASE_MANAGEMENT)
    services.review_opening(case, sup, sup_m, approve=True)
    return case


def _next_review_from_the_plans(case) -> date | None:
    """The rule the stored date stands for, read from the plans themselves: the latest plan's last
    review's next date, or its first review date before any review."""
    plan = _db.session.scalars(sa.select(ServicePlan).where(ServicePlan.case_id == case.id)
                               .order_by(ServicePlan.created_at.desc(), ServicePlan.id.desc())).first()
    if plan is None:
        return None
    reviews = _db.session.scalars(sa.select(PlanReview).where(PlanReview.plan_id == plan.id)
                                  .order_by(PlanReview.id)).all()
    return reviews[-1].next_review if reviews else plan.review_due


STEPS = st.lists(st.one_of(
    st.tuples(st.just("plan"), st.integers(1, 200)),
    st.tuples(st.just("review"), st.integers(0, 5), st.one_of(st.none(), st.integers(-30, 200)))), min_size=1, max_size=8)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=STEPS)
def test_the_stored_next_plan_review_follows_every_plan_and_review(db, taipei, scope, factories, people, steps):
    """Step 14 stores the next plan-review date on the case (the work lists' clock reads a column): after
    any sequence of new plans and reviews, of the latest plan or an older one, it is what the plans say,
    and the search's 服務計畫檢討逾期 finds the case exactly when that date has passed."""
    sw, sw_m = people["sw1"]
    case = _open_case(taipei, factories, people)
    today = taipei_today()
    plans = []
    for step in steps:
        if step[0] == "plan":
            plans.append(services.add_plan(case, sw, sw_m, goals="穩定", agreed_by="王媽媽", agreed_on=today,
                                           review_due=today + timedelta(days=step[1])))
        elif plans:
            plan = plans[step[1] % len(plans)]
            nxt = None if step[2] is None else today + timedelta(days=step[2])
            services.review_plan(case, plan, sw, sw_m, note="檢討", next_review=nxt)
        expected = _next_review_from_the_plans(case)
        assert case.plan_review_on == expected
        assert services.next_plan_review(case) == expected
        overdue = _db.session.scalar(sa.select(sa.func.count()).select_from(FamilyCase).where(
            FamilyCase.id == case.id, case_queries.due_condition("plan_review_overdue", utcnow())))
        assert overdue == (1 if expected is not None and expected < today else 0)
