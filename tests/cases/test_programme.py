"""社安網2.0 on the family case (issue 20): the catalogue, target groups and 福利身分別 as reference data by
date; target-group marks; 性影像 removal requests; the three target-board measures on them; the demo."""
from datetime import date, datetime, time, timedelta

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.accounts.models import Role
from app.audit.models import AuditEvent
from app.cases import catalogue, programme, services
from app.cases.demo import seed_demo_programme
from app.cases.models import CaseEvent, CaseService, CaseTargetGroup, ImageRemovalRequest, ServiceCatalogueItem
from app.cases.reference import RemovalOutcome, ServiceStatus
from app.core import calendar, tenancy
from app.core.filters import TAIPEI, roc_date
from app.intake import services as intake
from app.intake.reference import Relation
from app.targets import measures_groups as measures
from app.targets.registry import MEASURES

P = intake.PersonInput
PHASE2_CODES = {
    "s1_consultation", "s1_referral", "s1_prevention", "s1_parenting", "s1_screening", "s1_cash", "s1_in_kind",
    "s1_emergency", "s1_poverty_exit", "s1_support", "s2_rescue", "s2_recovery", "s2_early_warning",
    "s3_community_mh", "s3_psychiatric", "s3_suicide", "s3_offender", "s4_family_education",
    "s4_student_counselling", "s4_youth", "s4_victim", "s4_employment", "s4_addiction", "s4_judicial"}
D114 = date(2025, 6, 1)
D115 = date(2026, 3, 1)


@pytest.fixture
def taipei(factories):
    return factories.county("臺北市")


@pytest.fixture
def people(factories):
    centre = factories.unit("臺北市中正社會福利服務中心")

    def person(unit, role):
        user = factories.UserFactory(unit=unit, role=role)
        return user, factories.membership(user, unit)
    return {"sup": person(centre, Role.SUPERVISOR), "sw": person(centre, Role.SOCIAL_WORKER),
            "other": person(factories.unit("臺北市萬華社會福利服務中心"), Role.SOCIAL_WORKER),
            "dispatcher": person(factories.unit("臺北市集中篩派案中心"), Role.DISPATCHER)[0]}


@pytest.fixture
def case(db, taipei, factories, people):
    made = factories.FamilyCaseFactory(
        lead=factories.unit("臺北市中正社會福利服務中心"), dispatcher=people["dispatcher"],
        district=next(d for d in taipei.districts if d.name == "中正區"),
        received_at=datetime(2025, 3, 1, 9, tzinfo=TAIPEI),
        persons=[P("林媽媽", "F", date(1995, 1, 1), relation="mother"), P("林寶寶", "M", date(2025, 2, 1), relation="child")])
    with tenancy.tenant_scope(taipei.id):
        services.assign(made, *people["sup"], people["sw"][0])
        yield made


def mother(case):
    return next(m for m in case.members if Relation(m.relation) == Relation.MOTHER)


# --- Reference data by date -------------------------------------------------------------------------------

def test_phase_2_catalogue_until_114_and_2_0_from_115_with_its_strategies(db):
    phase2 = {i.code: i for i in catalogue.services_on(D114)}
    assert set(phase2) == PHASE2_CODES
    assert phase2["s1_emergency"].label == "急難紓困" and phase2["s1_emergency"].strategy == "策略一 擴增家庭服務資源"
    assert catalogue.services_on(date(2025, 12, 31)) and catalogue.service_on("g_elder_visit", date(2025, 12, 31)) is None
    v2 = {i.code: i for i in catalogue.services_on(date(2026, 1, 1))}
    assert PHASE2_CODES <= set(v2)  # the continuing services keep their codes
    for code, label in (("g_elder_visit", "獨老關懷訪視"), ("g_elder_meals", "營養餐飲"), ("g_parenting_guidance", "育兒指導")):
        assert label in v2[code].label and v2[code].strategy == "策略一 攜幼扶老"
    assert v2["g_elder_emergency"].group_code == "elder_alone" and v2["s1_in_kind"].group_code == "near_poor"
    assert v2["s2_rescue"].strategy == "策略二 優化提升" and v2["s3_suicide"].strategy == "策略三 布建心衛"
    assert v2["s4_youth"].strategy == "策略四 常態落實"
    assert {s for s, _ in catalogue.service_choices(D115)} == {"策略一 攜幼扶老", "策略二 優化提升", "策略三 布建心衛", "策略四 常態落實"}


def test_groups_and_welfare_statuses_by_date(db):
    assert catalogue.groups_on(date(2025, 12, 31)) == []
    groups = {g.code: g for g in catalogue.groups_on(date(2026, 1, 1))}
    assert set(groups) == {"elder_alone", "new_parent", "near_poor", "image_violence"}
    assert groups["near_poor"].tier.label == "脆弱家庭" and groups["image_violence"].tier.label == "危機家庭"
    assert groups["new_parent"].tier.label == "一般家庭"
    before = dict(catalogue.welfare_choices(D114))
    after = dict(catalogue.welfare_choices(D115))
    assert "8" not in before and after["8"] == "近貧人口"
    assert set(before) == {"0", "1", "2", "3", "4", "5", "6", "7", "99"}  # the twss codes kept
    assert dict(catalogue.welfare_choices(D114, {"8"}))["8"] == "近貧人口"  # a recorded status stays shown


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(day=st.dates(min_value=date(2016, 1, 1), max_value=date(2032, 12, 31)))
def test_the_catalogue_offered_on_a_date_holds_only_items_in_force_that_day(db, day):
    offered = catalogue.services_on(day)
    assert all(i.effective_from <= day and (i.effective_to is None or day <= i.effective_to) for i in offered)
    assert len({i.code for i in offered}) == len(offered)  # one version of each service on any day
    offered_codes = {code for _, items in catalogue.service_choices(day) for code, _ in items}
    assert offered_codes == {i.code for i in offered}
    assert all(g.in_force(day) for g in catalogue.groups_on(day))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(on=st.dates(min_value=date(2018, 1, 1), max_value=date(2026, 12, 31)),
       later=st.integers(min_value=1, max_value=2000))
def test_a_recorded_service_keeps_its_label_after_a_new_version(db, on, later):
    code = "s1_consultation"
    before = catalogue.ServiceLabels([code]).of(code, on)
    with db.session.begin_nested() as nested:
        db.session.add(ServiceCatalogueItem(version="測試新版", code=code, label="福利諮詢（新版）", section="一般家庭",
                                            strategy="策略一 攜幼扶老", effective_from=max(on, date(2026, 1, 1)) + timedelta(days=later)))
        catalogue.forget()
        db.session.flush()
        assert catalogue.ServiceLabels([code]).of(code, on) == before
        nested.rollback()
    catalogue.forget()


# --- Services ----------------------------------------------------------------------------------------------

def test_a_2_0_service_before_115_is_refused_and_a_114_service_keeps_its_phase_2_label(db, case, people):
    sw, sw_m = people["sw"]
    with pytest.raises(services.CaseError, match="不在服務項目中") as refused:
        services.add_service(case, sw, sw_m, item="g_elder_visit", status=ServiceStatus.DELIVERED, on=D114, amount=None, note="")
    assert refused.value.field == "item"
    old = services.add_service(case, sw, sw_m, item="s4_employment", status=ServiceStatus.DELIVERED, on=D114, amount=None, note="")
    new = services.add_service(case, sw, sw_m, item="s4_employment", status=ServiceStatus.DELIVERED, on=D115, amount=None, note="")
    labels = catalogue.ServiceLabels(["s4_employment"])
    assert labels.of(old.item, old.on).label == "就業協助" and labels.of(old.item, old.on).strategy == "策略四 網絡服務"
    assert labels.of(new.item, new.on).label == "弱勢族群就業協助" and labels.of(new.item, new.on).strategy == "策略四 常態落實"
    services.add_service(case, sw, sw_m, item="g_parenting_guidance", status=ServiceStatus.DELIVERED, on=D115, amount=None, note="")


# --- Target groups -----------------------------------------------------------------------------------------

def test_marking_a_new_parent_is_recorded_audited_and_checked(db, case, people):
    sw, sw_m = people["sw"]
    mark = programme.mark_group(case, sw, sw_m, group_code="new_parent", since=D115, member_id=mother(case).id)
    assert mark.group_code == "new_parent" and mark.recorded_by_id == sw.id
    events = db.session.scalars(sa.select(CaseEvent.summary).where(CaseEvent.case_id == case.id, CaseEvent.kind == "target_group")).all()
    assert events == [f"註記服務對象 林媽媽：新手父母（{roc_date(D115, 'short')} 起）"]
    assert db.session.scalars(sa.select(AuditEvent).where(AuditEvent.record_type == "case_target_groups")).first() is not None
    with pytest.raises(services.CaseError, match="已註記"):
        programme.mark_group(case, sw, sw_m, group_code="new_parent", since=D115, member_id=mother(case).id)
    with pytest.raises(services.CaseError, match="尚未適用") as early:
        programme.mark_group(case, sw, sw_m, group_code="elder_alone", since=D114)
    assert early.value.field == "since"
    with pytest.raises(services.CaseError, match="不可晚於今天"):
        programme.mark_group(case, sw, sw_m, group_code="elder_alone", since=calendar.today() + timedelta(days=1))
    with pytest.raises(services.CaseError, match="清單"):
        programme.mark_group(case, sw, sw_m, group_code="nobody", since=D115)
    with pytest.raises(services.CaseError):  # a worker of a unit not on the case
        programme.mark_group(case, *people["other"], group_code="elder_alone", since=D115)


# --- 性影像移除 --------------------------------------------------------------------------------------------

def test_removal_requests_dates_and_outcomes(db, case, people):
    sw, sw_m = people["sw"]
    add = lambda **kw: programme.add_removal_request(case, sw, sw_m, **{"platform": "Instagram", "asked_on": D115, **kw})  # noqa: E731
    for kw, message, field in (
            ({"platform": " "}, "平台名稱", "platform"),
            ({"asked_on": calendar.today() + timedelta(days=1)}, "申請日期不可晚於今天", "asked_on"),
            ({"outcome": RemovalOutcome.REMOVED}, "請填寫已移除的日期", "outcome_on"),
            ({"outcome": RemovalOutcome.REMOVED, "outcome_on": D115 - timedelta(days=1)}, "不可早於申請日期", "outcome_on"),
            ({"outcome": RemovalOutcome.PENDING, "outcome_on": D115}, "待處理的申請不填結果日期", "outcome_on")):
        with pytest.raises(services.CaseError, match=message) as refused:
            add(**kw)
        assert refused.value.field == field
    pending = add()
    assert pending.outcome == RemovalOutcome.PENDING and pending.outcome_recorded_at is None
    programme.record_removal_outcome(case, sw, sw_m, pending.id, outcome=RemovalOutcome.REFUSED, outcome_on=D115 + timedelta(days=3))
    assert pending.outcome == RemovalOutcome.REFUSED and pending.outcome_recorded_at is not None
    with pytest.raises(services.CaseError, match="已記錄為"):
        programme.record_removal_outcome(case, sw, sw_m, pending.id, outcome=RemovalOutcome.REMOVED, outcome_on=D115)
    assert [r.id for r in programme.removal_requests(case)] == [pending.id]
    assert db.session.scalars(sa.select(AuditEvent).where(AuditEvent.record_type == "image_removal_requests")).first() is not None


# --- The measures --------------------------------------------------------------------------------------------

def test_the_three_measures_are_registered_with_targets(app):
    assert {"parenting_guidance", "elder_alone_reach", "image_removal"} <= set(MEASURES)
    assert MEASURES["parenting_guidance"].target(115) == 50.0 and MEASURES["parenting_guidance"].external_denominator
    assert MEASURES["elder_alone_reach"].target(119) == 80.0 and MEASURES["elder_alone_reach"].external_denominator
    assert MEASURES["image_removal"].target(117) == 87.0 and not MEASURES["image_removal"].external_denominator


def test_measures_count_as_at_the_end_of_the_period(app, db, taipei, case, people):
    sw, sw_m = people["sw"]
    start, end = date(2026, 1, 1), date(2026, 6, 30)
    mark = programme.mark_group(case, sw, sw_m, group_code="new_parent", since=D115, member_id=mother(case).id)
    mark.recorded_at = datetime.combine(D115, time(9), tzinfo=TAIPEI)
    with app.test_request_context():
        assert measures.parenting_counts(taipei.id, start, end) == (0, None)
        assert [g.case_id for g in measures.parenting_gap(taipei.id, start, end)] == [case.id]
        late = services.add_service(case, sw, sw_m, item="g_parenting_guidance", status=ServiceStatus.DELIVERED, on=D115,
                                    amount=None, note="")  # recorded now, after the half-year
        assert measures.parenting_counts(taipei.id, start, end) == (0, None)
        assert measures.parenting_counts(taipei.id, start, date(2026, 12, 31)) == (1, None)
        late.recorded_at = datetime.combine(D115, time(16), tzinfo=TAIPEI)  # as if recorded on the day
        assert measures.parenting_counts(taipei.id, start, end) == (1, None)
        assert measures.parenting_gap(taipei.id, start, end) == []

        elder = programme.mark_group(case, sw, sw_m, group_code="elder_alone", since=D115)
        elder.recorded_at = datetime.combine(D115, time(9), tzinfo=TAIPEI)
        assert measures.elder_counts(taipei.id, start, end) == (0, None)
        gap = measures.elder_gap(taipei.id, start, end)
        assert gap[0].url.endswith(f"/cases/{case.id}#programme") and "未有關懷訪視" in gap[0].reason
        meals = services.add_service(case, sw, sw_m, item="g_elder_meals", status=ServiceStatus.DELIVERED, on=D115,
                                     amount=None, note="")
        assert measures.elder_counts(taipei.id, start, end) == (0, None)  # recorded after the half-year
        meals.recorded_at = datetime.combine(D115, time(16), tzinfo=TAIPEI)
        assert measures.elder_counts(taipei.id, start, end) == (1, None)

        removed = programme.add_removal_request(case, sw, sw_m, platform="A", asked_on=D115, outcome=RemovalOutcome.REMOVED,
                                                outcome_on=D115 + timedelta(days=2))
        late = programme.add_removal_request(case, sw, sw_m, platform="B", asked_on=D115)
        for r in (removed, late):
            r.recorded_at = datetime.combine(D115, time(9), tzinfo=TAIPEI)
        removed.outcome_recorded_at = datetime.combine(D115 + timedelta(days=2), time(9), tzinfo=TAIPEI)
        first = measures.removal_counts(taipei.id, start, end)
        assert first == (1, 2)
        # removed in the period but recorded after its end: the period's figure does not move
        programme.record_removal_outcome(case, sw, sw_m, late.id, outcome=RemovalOutcome.REMOVED, outcome_on=date(2026, 6, 20))
        late.outcome_recorded_at = datetime(2026, 7, 3, 9, tzinfo=TAIPEI)
        assert measures.removal_counts(taipei.id, start, end) == first
        assert measures.removal_counts(taipei.id, start, date(2026, 12, 31)) == (2, 2)
        assert [g.reason for g in measures.removal_gap(taipei.id, start, end)] == [f"B（{roc_date(D115, 'short')} 申請）期末尚未移除"]


def test_the_demo_holds_each_new_group_with_figures_and_gaps(app, db, factories):
    assert seed_demo_programme() > 0
    assert seed_demo_programme() == 0  # idempotent
    year = (date(2026, 1, 1), date(2026, 12, 31))
    with app.test_request_context():
        for name in ("臺北市", "花蓮縣"):
            county = factories.county(name)
            with tenancy.tenant_scope(county.id):
                parents, _ = measures.parenting_counts(county.id, *year)
                elders, _ = measures.elder_counts(county.id, *year)
                removed, asked = measures.removal_counts(county.id, *year)
                assert parents >= 1 and measures.parenting_gap(county.id, *year), name
                assert elders >= 1 and measures.elder_gap(county.id, *year), name
                assert 0 < removed < asked and measures.removal_gap(county.id, *year), name
                groups = set(db.session.scalars(sa.select(CaseTargetGroup.group_code).where(CaseTargetGroup.tenant_id == county.id)))
                assert groups == {"new_parent", "elder_alone", "near_poor", "image_violence"}
        taipei = factories.county("臺北市")
        with tenancy.tenant_scope(taipei.id):
            outcomes = set(db.session.scalars(sa.select(ImageRemovalRequest.outcome).where(ImageRemovalRequest.tenant_id == taipei.id)))
            assert outcomes == set(RemovalOutcome)
            phase2 = db.session.scalars(sa.select(CaseService).where(CaseService.tenant_id == taipei.id, CaseService.item == "s1_support",
                                                                     CaseService.on < date(2026, 1, 1))).first()
            assert phase2 is not None and catalogue.ServiceLabels([phase2.item]).of(phase2.item, phase2.on).strategy == "策略一 擴增家庭服務資源"


# --- Ending a mark, correcting a removal outcome -------------------------------------------------------------

def test_a_mark_is_ended_with_a_date_and_reason_and_stays_on_the_record(app, db, taipei, case, people):
    sw, sw_m = people["sw"]
    mark = programme.mark_group(case, sw, sw_m, group_code="elder_alone", since=D115)
    mark.recorded_at = datetime.combine(D115, time(9), tzinfo=TAIPEI)
    end = lambda **kw: programme.end_group(case, sw, sw_m, mark.id, **{"ended_on": date(2026, 5, 31), "reason": "遷居子女家", **kw})  # noqa: E731
    for kw, message, field in (({"ended_on": None}, "結束日期", "ended_on"),
                               ({"ended_on": D115 - timedelta(days=1)}, "不可早於註記日期", "ended_on"),
                               ({"ended_on": calendar.today() + timedelta(days=1)}, "不可晚於今天", "ended_on"),
                               ({"reason": " "}, "理由", "reason")):
        with pytest.raises(services.CaseError, match=message) as refused:
            end(**kw)
        assert refused.value.field == field
    with pytest.raises(services.CaseError):  # a unit not on the case
        programme.end_group(case, *people["other"], mark.id, ended_on=date(2026, 5, 31), reason="x")
    assert mark.ended_on is None
    end()
    assert (mark.ended_on, mark.end_reason, mark.ended_by_id) == (date(2026, 5, 31), "遷居子女家", sw.id)
    with pytest.raises(services.CaseError, match="已於"):
        end()
    assert [m.id for m in programme.case_groups(case)] == [mark.id]  # kept, with its dates
    summary = db.session.scalars(sa.select(CaseEvent.summary).where(CaseEvent.case_id == case.id)
                                 .order_by(CaseEvent.id.desc())).first()
    assert "結束服務對象註記" in summary and "遷居子女家" in summary
    audits = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.record_type == "case_target_groups",
                                                            AuditEvent.record_id == str(mark.id))).all()
    assert any("ended_on" in str(a.changes) for a in audits)
    # served in the first half: counted there; ended before the second half started: not counted there
    meals = services.add_service(case, sw, sw_m, item="g_elder_meals", status=ServiceStatus.DELIVERED, on=D115, amount=None, note="")
    meals.recorded_at = datetime.combine(D115, time(16), tzinfo=TAIPEI)
    with app.test_request_context():
        assert measures.elder_counts(taipei.id, date(2026, 1, 1), date(2026, 6, 30)) == (1, None)
        assert measures.elder_gap(taipei.id, date(2026, 7, 1), date(2026, 12, 31)) == []
        # an end recorded only after a period does not change that period
        mark.ended_at = datetime(2027, 1, 5, 9, tzinfo=TAIPEI)
        assert len(measures.elder_gap(taipei.id, date(2026, 7, 1), date(2026, 12, 31))) == 1
    # a new mark of the same group after the end is allowed; one overlapping the ended span is not
    with pytest.raises(services.CaseError, match="至 "):
        programme.mark_group(case, sw, sw_m, group_code="elder_alone", since=date(2026, 5, 1))
    again = programme.mark_group(case, sw, sw_m, group_code="elder_alone", since=date(2026, 9, 1))
    assert again.ended_on is None


def test_a_removal_outcome_recorded_by_mistake_is_corrected_with_the_old_value_kept(app, db, taipei, case, people):
    sw, sw_m = people["sw"]
    start, end = date(2026, 1, 1), date(2026, 6, 30)
    wrong = programme.add_removal_request(case, sw, sw_m, platform="X 平台", asked_on=D115, outcome=RemovalOutcome.REMOVED,
                                          outcome_on=D115 + timedelta(days=2))
    wrong.recorded_at = datetime.combine(D115, time(9), tzinfo=TAIPEI)
    wrong.outcome_recorded_at = datetime.combine(D115 + timedelta(days=2), time(9), tzinfo=TAIPEI)
    with app.test_request_context():
        assert measures.removal_counts(taipei.id, start, end) == (1, 1)
    fix = lambda **kw: programme.correct_removal_outcome(case, sw, sw_m, wrong.id, **{  # noqa: E731
        "outcome": RemovalOutcome.PENDING, "outcome_on": None, "reason": "誤按已移除，平台尚未回覆", **kw})
    for kw, message, field in (({"reason": ""}, "更正的理由", "reason"),
                               ({"outcome": RemovalOutcome.REMOVED, "outcome_on": D115 + timedelta(days=2)}, "相同", "outcome"),
                               ({"outcome": RemovalOutcome.REFUSED}, "請填寫拒絕移除的日期", "outcome_on"),
                               ({"outcome_on": D115}, "待處理的申請不填結果日期", "outcome_on")):
        with pytest.raises(services.CaseError, match=message) as refused:
            fix(**kw)
        assert refused.value.field == field
    correction = fix()
    assert (correction.old_outcome, correction.old_outcome_on) == (RemovalOutcome.REMOVED, D115 + timedelta(days=2))
    assert wrong.outcome == RemovalOutcome.PENDING and wrong.outcome_on is None and wrong.outcome_recorded_at is None
    with app.test_request_context():
        assert measures.removal_counts(taipei.id, start, end) == (0, 1)  # the board counts the current value
    # now the real outcome, then a second correction (a wrong date): each correction kept in order
    programme.record_removal_outcome(case, sw, sw_m, wrong.id, outcome=RemovalOutcome.REFUSED, outcome_on=D115 + timedelta(days=9))
    programme.correct_removal_outcome(case, sw, sw_m, wrong.id, outcome=RemovalOutcome.REFUSED,
                                      outcome_on=D115 + timedelta(days=8), reason="拒絕日期更正為平台回函日")
    history = programme.corrections(case)[wrong.id]
    assert [(c.old_outcome, c.new_outcome) for c in history] == [(RemovalOutcome.REMOVED, RemovalOutcome.PENDING),
                                                                  (RemovalOutcome.REFUSED, RemovalOutcome.REFUSED)]
    assert history[1].old_outcome_on == D115 + timedelta(days=9) and wrong.outcome_on == D115 + timedelta(days=8)
    assert db.session.scalars(sa.select(AuditEvent).where(AuditEvent.record_type == "image_removal_corrections")).first()
    with pytest.raises(services.CaseError):  # a unit not on the case
        programme.correct_removal_outcome(case, *people["other"], wrong.id, outcome=RemovalOutcome.PENDING,
                                          outcome_on=None, reason="x")
    pending = programme.add_removal_request(case, sw, sw_m, platform="Y", asked_on=D115)
    with pytest.raises(services.CaseError, match="尚未記錄結果"):
        programme.correct_removal_outcome(case, sw, sw_m, pending.id, outcome=RemovalOutcome.REMOVED, outcome_on=D115,
                                          reason="x")
