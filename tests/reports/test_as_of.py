"""Figures as at the end of the period: whatever is recorded after a period has ended (an assessment
outcome, a visit, a closing, a referral's answer, a dispute's decision, a screening decision) never
changes that period's figures; a report made again later gives the same figures as the first."""
from datetime import timedelta

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings, strategies as st

from app.cases import services as cases
from app.cases.models import CaseContact, CaseStatus, CaseTransition, FamilyCase
from app.cases.reference import AssessmentOutcome, ContactMethod, Level
from app.core import tenancy
from app.extensions import db
from app.intake import services as intake
from app.intake.models import InvalidReason, Report, ReportStatus
from app.referrals import disputes, joint, services as referrals
from app.referrals.models import (Dispute, DisputeOutcome, DisputeStatus, ReferralEvent, ReferralKind,
                                  ReferralStatus)
from app.reports import queries, services
from app.reports.models import PeriodKind, ReportKind
from app.reports.periods import Period
from app.targets import measures_programme as mp
from tests.reports.helpers import answered_in_history, at

Q3 = Period.of(PeriodKind.QUARTER, 2026, 3)
JULY = Period.of(PeriodKind.MONTH, 2026, 7)
H2 = Period.of(PeriodKind.HALF, 2026, 2)
PERIODIC = [k for k in ReportKind if k != ReportKind.SPRING]


def _all_counts(county_id, period):
    return {kind: queries.count(kind, county_id, period) for kind in PERIODIC}


def _people(factories):
    sw1, sup = factories.user("tpe.sw1"), factories.user("tpe.sup")
    return sw1, sw1.memberships[0], sup, sup.memberships[0]


def _sent_in_july(world, factories, cases_):
    sw1, sw1_m, _, _ = _people(factories)
    dv = factories.unit("臺北市家庭暴力暨性侵害防治中心")
    out = []
    for case in cases_:
        r = referrals.send(case, sw1, sw1_m, kind=ReferralKind.UNIT, reason="r", services_requested="",
                           sections=["members"], to_unit=dv)
        r.created_at = at(7, 15)
        answered_in_history(r)
        out.append(r)
    return out


def test_late_records_leave_every_report_of_a_finished_period_unchanged(world, factories):
    """Each periodic report: counted, then everything recorded late (now, long after 115年第3季), counted again."""
    taipei = world["taipei"].id
    sw1, sw1_m, sup, sup_m = _people(factories)
    dispatcher = factories.user("tpe.dispatch")
    with tenancy.tenant_scope(taipei):
        sent = _sent_in_july(world, factories, [world["c1"], world["庚"]])
        for case in (world["c1"], world["庚"], world["辛"]):
            cases.assign(case, sup, sup_m, sw1)
        dispute = _dispute(world["c1"], at(8, 3))
        db.session.add(dispute)
        db.session.flush()
        before = _all_counts(taipei, Q3)
        month_before = _all_counts(taipei, JULY)

        # Now (115年12月, after the quarter): the family's outcome, a visit dated in July, the assessment report,
        # a closing, the referral's answers, the dispute's decision, and the pending screening decision.
        cases.record_contact(world["庚"], sw1, sw1_m, contacted_at=at(7, 8), method=ContactMethod.HOME_VISIT,
                             duration_minutes=30, persons_seen=[], child_seen=False, note="補登七月家訪")
        cases.decide(world["辛"], sw1, sw1_m, AssessmentOutcome.WELFARE_CONSULTATION)
        cases.decide(world["庚"], sw1, sw1_m, AssessmentOutcome.REFER_NETWORK)
        db.session.flush()
        sent[0].status, sent[0].responded_at = ReferralStatus.IN_SERVICE, at(7, 15) + timedelta(days=200)
        db.session.add(ReferralEvent(tenant_id=taipei, to_county_id=sent[0].to_county_id, referral_id=sent[0].id,
                                     kind="status", from_status="waiting", to_status="in_service",
                                     at=sent[0].responded_at))
        dispute.status, dispute.decision, dispute.decided_at = (DisputeStatus.DECIDED, DisputeOutcome.MAINTAIN,
                                                                 at(7, 15) + timedelta(days=150))
        pending = db.session.scalars(sa.select(Report).where(Report.tenant_id == taipei,
                                                             Report.status == ReportStatus.SCREENING,
                                                             Report.received_at < at(10, 1))).first()
        intake.screen_out(pending, dispatcher, InvalidReason.OUT_OF_SCOPE, directed_to="1957")
        db.session.flush()
        after = _all_counts(taipei, Q3)
        month_after = _all_counts(taipei, JULY)
        late = _all_counts(taipei, Period.of(PeriodKind.MONTH, 2026, 12))
    for kind in PERIODIC:
        assert after[kind] == before[kind], kind
        assert month_after[kind] == month_before[kind], kind
    assert before["visits"]["total"]["assessing"] == 4  # no outcome was recorded in the quarter
    assert before["referrals"]["sent"]["by_kind"]["unit"]["waiting"] == 2
    assert before["referrals"]["disputes"]["open"] == 1
    assert late["screening"]["received"] == 0  # what was recorded late belongs to no later report of the quarter's families


def test_a_report_made_again_after_a_late_outcome_has_the_same_figures(world, factories, app, inline_jobs):
    """Through the job: each report is made, an outcome is recorded late, each report is made again."""
    taipei = world["taipei"].id
    case_id = world["庚"].id
    admin = factories.user("tpe.admin")
    sw1, sw1_m, sup, sup_m = _people(factories)
    with app.test_request_context(), tenancy.tenant_scope(taipei):
        first = {}
        for kind in PERIODIC:
            run = services.request(kind, Q3, admin, taipei)
            db.session.refresh(run)
            first[kind] = run.figures
        case = db.session.get(FamilyCase, case_id)
        cases.assign(case, sup, sup_m, sw1)
        cases.decide(case, sw1, sw1_m, AssessmentOutcome.WELFARE_CONSULTATION)  # recorded now, late
        db.session.flush()
        for kind in PERIODIC:
            again = services.request(kind, Q3, admin, taipei)
            db.session.refresh(again)
            assert again.version == 2 and again.figures == first[kind], kind
            assert "期末（115年9月30日）狀態" in again.csv.decode("utf-8-sig")
        # the same family counted in a period that ends after the outcome was recorded
        now = Period.of(PeriodKind.YEAR, 2026)
        assert queries.count_visits(taipei, now)["total"]["welfare_consultation"] == 1


def _dispute(case, filed):
    """A dispute filed on ``filed``, waiting for the county's decision."""
    return Dispute(tenant_id=case.tenant_id, case_id=case.id, filed_by_unit_id=case.lead_unit.id,
                   other_unit_id=case.lead_unit.id, reason="r", proposed=DisputeOutcome.MAINTAIN,
                   status=DisputeStatus.AWAITING_ARBITER, filed_at=filed, response_due=filed + timedelta(days=3))


# --- The property: random actions at random times -----------------------------------------------

START = at(7, 2)
ACTION = st.tuples(st.sampled_from(["decide", "report", "visit", "close", "answer", "screen", "dispute", "withdraw",
                                           "reopen"]),
                   st.integers(0, 3), st.integers(0, 24 * 200))


@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(actions=st.lists(ACTION, min_size=1, max_size=14))
def test_the_figures_of_a_finished_period_never_change(world, factories, db, actions):
    """Outcomes, visits, closings, reopenings (and openings sent back), referral answers, screening decisions,
    dispute decisions and withdrawals recorded at
    random times from July to January: each period's figures taken at its end equal those taken after
    everything (115年7月, 第3季 and 下半年)."""
    taipei = world["taipei"].id
    families = [world["c1"], world["庚"], world["辛"], world["壬"]]
    with tenancy.tenant_scope(taipei):
        nested = db.session.begin_nested()
        try:
            sent = _sent_in_july(world, factories, families[:2])
            pending = db.session.scalars(sa.select(Report).where(Report.tenant_id == taipei,
                                                                 Report.status == ReportStatus.SCREENING)).all()
            disputes = []
            for case in families[:2]:
                disputes.append(_dispute(case, at(7, 20)))
            db.session.add_all(disputes)
            db.session.flush()
            timed = sorted(((START + timedelta(hours=h), what, i) for what, i, h in actions), key=lambda a: a[0])
            taken = {}
            for when, what, i in timed:
                for period in (JULY, Q3, H2):
                    if period not in taken and when >= period.as_of:
                        taken[period] = _all_counts(taipei, period)
                _act(what, families[i], sent[i % 2], pending[i % len(pending)] if pending else None,
                     disputes[i % 2], when, taipei)
            final = {period: _all_counts(taipei, period) for period in (JULY, Q3, H2)}
            for period, figures in taken.items():
                assert figures == final[period], period.label
        finally:
            nested.rollback()


def _moved(case, before, after, when, reason=""):
    """The case's transition as the workflow records it, at ``when``."""
    db.session.add(CaseTransition(tenant_id=case.tenant_id, case_id=case.id, from_status=before, to_status=after,
                                  at=when, reason=reason))


def _act(what, case, referral, report, dispute, when, county_id):
    """One action, recorded at ``when`` (as the services record it, at the moment it is done)."""
    if what == "decide" and case.outcome is None:
        case.outcome, case.outcome_at = AssessmentOutcome.CASE_MANAGEMENT if when.day % 2 else \
            AssessmentOutcome.REFER_NETWORK, when
        _moved(case, CaseStatus.ASSESSING, CaseStatus.OPENING_REVIEW if case.outcome == AssessmentOutcome.CASE_MANAGEMENT
               else CaseStatus.NOT_OPENED, when, f"評估結果：{case.outcome.label}")
        if case.outcome != AssessmentOutcome.CASE_MANAGEMENT:
            case.closed_at = when
    elif what == "reopen" and case.outcome is not None:  # 重新開啟, or 退回開案 of an opening not yet closed
        was = (CaseStatus.CLOSED if case.closed_at else CaseStatus.OPENING_REVIEW) \
            if case.outcome == AssessmentOutcome.CASE_MANAGEMENT else CaseStatus.NOT_OPENED
        _moved(case, was, CaseStatus.ASSESSING, when, "重新開啟")
        case.outcome = case.closed_at = None
    elif what == "report" and case.assessment_report_at is None:
        case.assessment_report_at = when
    elif what == "visit":
        db.session.add(CaseContact(tenant_id=county_id, case_id=case.id, contacted_at=max(case.received_at,
                                   when - timedelta(days=when.day % 9)), method=ContactMethod.HOME_VISIT,
                                   created_at=when))
    elif what == "close" and case.outcome == AssessmentOutcome.CASE_MANAGEMENT and case.closed_at is None:
        case.opening_level, case.closing_level, case.closed_at = Level.HIGH, Level.LOW, when
        _moved(case, CaseStatus.CLOSING_REVIEW, CaseStatus.CLOSED, when)
    elif what == "answer" and referral.status == ReferralStatus.WAITING:
        referral.status, referral.responded_at = ReferralStatus.DECLINED if when.hour % 2 else ReferralStatus.IN_SERVICE, when
        db.session.add(ReferralEvent(tenant_id=county_id, to_county_id=referral.to_county_id, referral_id=referral.id,
                                     kind="status", from_status="waiting", to_status=referral.status.value, at=when))
    elif what == "screen" and report is not None and report.decided_at is None:
        report.status, report.decided_at = ReportStatus.REFERRED, when
    elif what == "dispute" and dispute.status == DisputeStatus.AWAITING_ARBITER:
        dispute.status, dispute.decision, dispute.decided_at = DisputeStatus.DECIDED, DisputeOutcome.MAINTAIN, when
    elif what == "withdraw" and dispute.status == DisputeStatus.AWAITING_ARBITER:
        dispute.status, dispute.withdrawn_at = DisputeStatus.WITHDRAWN, when
    db.session.flush()


def test_a_withdrawal_counts_from_when_it_was_recorded_not_from_the_dispute_s_last_change(world, factories):
    """A dispute withdrawn in August is 撤回 in 第3季 however it is touched later; one withdrawn after the
    quarter (through the service) is still 處理中 in it."""
    taipei = world["taipei"].id
    sw1, sw1_m, _, _ = _people(factories)
    with tenancy.tenant_scope(taipei):
        in_august, late = _dispute(world["c1"], at(7, 20)), _dispute(world["c1"], at(7, 25))
        in_august.filed_by_unit_id = late.filed_by_unit_id = sw1_m.unit_id
        in_august.status, in_august.withdrawn_at = DisputeStatus.WITHDRAWN, at(8, 3)
        db.session.add_all([in_august, late])
        db.session.flush()
        before = queries.count_referrals(taipei, Q3)
        assert before["disputes"]["withdrawn"] == 1 and before["disputes"]["open"] == 1

        in_august.reason = "補充說明（十二月修改）"  # a later edit: its updated_at is now
        disputes.withdraw(late, sw1, sw1_m, "雙方已協調")  # withdrawn now, after the quarter
        db.session.flush()
        assert late.withdrawn_at is not None and in_august.updated_at > Q3.as_of
        assert queries.count_referrals(taipei, Q3) == before
        assert queries.count_referrals(taipei, H2)["disputes"]["withdrawn"] == 2


def _dated(case, *days):
    """Date the case's transitions (oldest first) on ``days`` of 2026 (month, day), and its fields with them."""
    rows = db.session.scalars(sa.select(CaseTransition).where(CaseTransition.case_id == case.id)
                              .order_by(CaseTransition.id)).all()
    assert len(rows) == len(days)
    for t, (month, day) in zip(rows, days):
        t.at = at(month, day)
        if t.to_status in (CaseStatus.OPENING_REVIEW, CaseStatus.NOT_OPENED):
            case.outcome_at = t.at
        if t.to_status in (CaseStatus.CLOSED, CaseStatus.NOT_OPENED):
            case.closed_at = t.at
        if t.to_status == CaseStatus.OPEN:
            case.opened_at = t.at
    db.session.flush()


def test_a_case_reopened_or_sent_back_after_the_period_keeps_its_figures_there(world, factories, app):
    """Decided, opened and closed in 第3季; reopened, sent back and decided again in 12月: the quarter's
    visits and vulnerability reports and the board's 開案率, 轉介率 and 脆弱程度改善 are as they were."""
    taipei = world["taipei"].id
    sw1, sw1_m, sup, sup_m = _people(factories)
    closed, consulted, submitted = world["庚"], world["辛"], world["壬"]
    q3 = (Q3.start, Q3.end)
    with app.test_request_context(), tenancy.tenant_scope(taipei):
        medium = next(f for f in cases.factor_table_in_force().factors if f.level == Level.MEDIUM)
        for case in (closed, consulted, submitted):
            cases.assign(case, sup, sup_m, sw1)
        for case in (closed, submitted):
            cases.assess_vulnerability(case, sw1, sw1_m, dimensions=["economic"], factor_ids=[medium.id])
            cases.decide(case, sw1, sw1_m, AssessmentOutcome.CASE_MANAGEMENT)
        cases.review_opening(closed, sup, sup_m, approve=True)
        cases.propose_closing(closed, sw1, sw1_m, "目標達成", Level.LOW)
        cases.review_closing(closed, sup, sup_m, approve=True)
        cases.decide(consulted, sw1, sw1_m, AssessmentOutcome.WELFARE_CONSULTATION)
        _dated(closed, (7, 6), (7, 10), (7, 11), (8, 20), (8, 21))
        _dated(consulted, (7, 7), (7, 12))
        _dated(submitted, (7, 8), (7, 14))

        def board():
            return (mp.opening_counts(taipei, *q3), mp.referral_counts(taipei, *q3), mp.vulnerability_counts(taipei, *q3))
        before, board_before = _all_counts(taipei, Q3), board()
        assert before["visits"]["total"]["case_management"] == 2
        assert before["visits"]["total"]["welfare_consultation"] == 1
        assert before["vulnerability"]["closed"] == 1 and board_before[2] == (1, 1)

        # 12月 (now): the closed case reopened, the consultation reopened and referred instead, the opening sent back
        cases.reopen(closed, sup, sup_m, "案家再度求助")
        cases.reopen(consulted, sup, sup_m, "評估有誤")
        cases.decide(consulted, sw1, sw1_m, AssessmentOutcome.REFER_NETWORK)
        cases.review_opening(submitted, sup, sup_m, approve=False, comment="請補充經濟狀況")
        db.session.flush()
        assert closed.closed_at is None and submitted.outcome is None  # the fields now say otherwise
        assert _all_counts(taipei, Q3) == before
        assert board() == board_before
        now = _all_counts(taipei, Period.of(PeriodKind.YEAR, 2026))  # a period ending after all of it
        assert now["visits"]["total"]["case_management"] == 0 and now["visits"]["total"]["refer_network"] == 1
        assert now["vulnerability"]["closed"] == 0


def test_a_change_of_lead_after_the_period_leaves_the_screening_and_visits_figures(world, factories, app):
    """The screening report counts a report by the unit it was dispatched to at the decision
    (``Report.lead_unit_id``), and the visits report and the board's 開案率 / 轉介率 count the families a
    社福中心 was dispatched, not by the family's lead today: 改派 to the 家防中心 in 12月 moves nothing."""
    taipei = world["taipei"].id
    dv = factories.unit("臺北市家庭暴力暨性侵害防治中心")
    with app.test_request_context(), tenancy.tenant_scope(taipei):
        before = queries.count_screening(taipei, Q3)
        assert before["dispatched"] == {"protective": 1, "vulnerable": 4, "mental_health": 0}
        visits = queries.count_visits(taipei, Q3)
        board = (mp.opening_counts(taipei, Q3.start, Q3.end), mp.referral_counts(taipei, Q3.start, Q3.end))
        assert visits["total"]["assessing"] == 4 and board[0] == (0, 4)
        for name in ("c1", "庚"):
            joint.change_lead(world[name], dv.id, old_lead="former", why="爭議裁決：改派")
        db.session.flush()
        assert world["c1"].lead_unit.id == dv.id
        assert queries.count_screening(taipei, Q3) == before
        assert queries.count_visits(taipei, Q3) == visits  # still families the 社福中心 received in the quarter
        assert board == (mp.opening_counts(taipei, Q3.start, Q3.end), mp.referral_counts(taipei, Q3.start, Q3.end))
