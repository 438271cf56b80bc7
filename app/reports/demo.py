"""Demo reports (development only): 臺北市's four periodic reports for the last
finished quarter and its results of last year's spring-festival campaign,
generated from the demo data and submitted, so the ministry's overview and
national table have something to show.

And the families of earlier years (:func:`seed_demo_history`), so that the
reports can be made for 108年 and for 109年1–6月 with real figures: reports
received, screened and dispatched, families visited, assessed, opened and
closed, referrals answered, all dated in those years; a few outcomes of
109年上半年's families were recorded only in July 109 (after the half-year's
end), so that its report shows them as 評估中, as at the end of the period."""
from __future__ import annotations

from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from ..core import calendar
from ..accounts.models import User
from ..cases import services as cases
from ..cases.reference import AssessmentOutcome, ContactMethod, Level
from ..core import tenancy
from ..core.filters import TAIPEI
from ..extensions import db
from ..intake import services as intake
from ..intake.models import InvalidReason, Report
from ..intake.reference import ReportingChannel
from ..referrals import services as referrals
from ..referrals.models import DeclineReason, ReferralKind
from ..tenants.models import County, Unit
from . import services
from .models import PeriodKind, ReportKind, ReportRun
from .forms import campaign_periods
from .periods import recent_periods

HISTORY_MARK = "示範資料（歷年統計）"
SURNAMES = "丁方江沈宋孫高梁施姚范白湯石蘇鄭葉何呂蔣袁唐許馮韓羅"


def seed_demo_reports() -> int:
    seed_demo_history()
    with tenancy.all_tenants("seed: look for demo reports"):
        if db.session.scalars(sa.select(ReportRun.id)).first():
            return 0
    taipei = db.session.scalars(sa.select(County).where(County.name == "臺北市")).one()
    admin = db.session.scalars(sa.select(User).where(User.username == "tpe.admin")).one()
    today = calendar.today()
    period = next(p for p in recent_periods(PeriodKind.QUARTER, today) if p.is_over(today))
    saved, current_app.config["REDIS_URL"] = current_app.config.get("REDIS_URL"), None  # made here and now
    made = 0
    try:
        with current_app.test_request_context(), tenancy.tenant_scope(taipei.id):
            wanted = [(kind, period) for kind in ReportKind if kind != ReportKind.SPRING]
            last_campaign = next((p for p in campaign_periods() if p.is_over(today)), None)
            if last_campaign is not None:
                wanted.append((ReportKind.SPRING, last_campaign))
            for kind, when in wanted:
                run = services.request(kind, when, admin, taipei.id)
                services.submit(db.session.get(ReportRun, run.id), admin)
                db.session.commit()
                made += 1
    finally:
        current_app.config["REDIS_URL"] = saved
    return made


def _at(y: int, m: int, d: int, h: int = 10) -> datetime:
    return datetime(y, m, d, h, tzinfo=TAIPEI)


# (received, what happened): the plan of each family of the history, in the order of the years.
# outcome: an AssessmentOutcome code, "close" (opened and closed), "open" (opened, still served), None (assessing)
PLAN_108 = [((2019, m, d), outcome, late) for m, d, outcome, late in (
    (1, 8, "close", 0), (1, 22, "welfare_consultation", 0), (2, 12, "case_management", 0), (3, 5, "refer_network", 0),
    (3, 19, "close", 0), (4, 9, "welfare_consultation", 0), (4, 23, "case_management", 0), (5, 14, "refer_protective", 0),
    (5, 28, "close", 0), (6, 11, "welfare_consultation", 0), (7, 2, "case_management", 0), (7, 16, "refer_network", 0),
    (8, 6, "close", 0), (8, 20, "welfare_consultation", 0), (9, 10, "case_management", 0), (9, 24, "duplicate_or_error", 0),
    (10, 8, "close", 0), (10, 22, "welfare_consultation", 0), (11, 5, "case_management", 0), (11, 19, "refer_network", 0),
    (12, 3, "welfare_consultation", 0), (12, 17, "case_management", 20), (12, 23, None, 0))]
PLAN_109 = [((2020, m, d), outcome, late) for m, d, outcome, late in (
    (1, 7, "close", 0), (1, 21, "welfare_consultation", 0), (2, 11, "case_management", 0), (2, 25, "refer_network", 0),
    (3, 10, "close", 0), (3, 24, "welfare_consultation", 0), (4, 14, "case_management", 0), (4, 28, "welfare_consultation", 0),
    (5, 12, "refer_protective", 0), (5, 26, "case_management", 0), (6, 9, "welfare_consultation", 30),
    (6, 16, "case_management", 25), (6, 23, None, 0))]


def seed_demo_history() -> int:
    """臺北市's families of 108年 and 109年1–6月 (once): every step done through the services, then dated
    back to when it happened (as if recorded at the time)."""
    with tenancy.all_tenants("seed: look for the demo history"):
        if db.session.scalars(sa.select(Report.id).where(Report.source_name == HISTORY_MARK)).first():
            return 0
    one = lambda model, **where: db.session.scalars(sa.select(model).filter_by(**where)).one()  # noqa: E731
    taipei = one(County, name="臺北市")
    centre, dv = one(Unit, name="臺北市中正社會福利服務中心"), one(Unit, name="臺北市家庭暴力暨性侵害防治中心")
    dispatcher, sup, sw1, dvsup = (one(User, username=u) for u in ("tpe.dispatch", "tpe.sup", "tpe.sw1", "tpe.dvsup"))
    sup_m = next(m for m in sup.memberships if m.unit_id == centre.id)
    sw1_m, dvsup_m = sw1.memberships[0], dvsup.memberships[0]
    district = next(d for d in taipei.districts if d.name == "中正區")
    table = cases.factor_table_in_force()
    factor = {level: next(f for f in table.factors if f.level == level) for level in (Level.HIGH, Level.MEDIUM)}
    made = 0

    def receive(n: int, received: datetime, concerns=("vulnerable_family",)) -> Report:
        surname = SURNAMES[n % len(SURNAMES)]
        report, _ = intake.receive(taipei, intake.ReportInput(
            district_id=district.id, concerns=list(concerns), dimensions=["economic"],
            narrative=f"{surname}家經濟困難，需要協助（示範歷年資料）。", address="臺北市中正區重慶南路一段2號",
            persons=[intake.PersonInput(f"{surname}媽媽", "F", date(1985, 5, 5), relation="mother"),
                     intake.PersonInput(f"{surname}小妹", "F", date(2012, 8, 8), relation="child")],
            received_at=received, source_name=HISTORY_MARK), ReportingChannel("36" if n % 3 else "35"))
        intake.claim(report, dispatcher)
        return report

    with tenancy.tenant_scope(taipei.id):
        n = 0
        for plan in (PLAN_108, PLAN_109):
            for (y, m, d), outcome, late_days in plan:
                n += 1
                received = _at(y, m, d)
                # the screening of the month: a report out of scope and one referred elsewhere, besides the family
                if n % 4 == 0:
                    other = receive(n + 100, received + timedelta(hours=2))
                    intake.screen_out(other, dispatcher, InvalidReason.OUT_OF_SCOPE, directed_to="1957 福利諮詢專線")
                    other.decided_at = received + timedelta(hours=5)
                if n % 5 == 0:
                    other = receive(n + 200, received + timedelta(hours=3))
                    intake.refer(other, dispatcher, "就業服務站")
                    other.decided_at = received + timedelta(hours=30)
                report = receive(n, received)
                case = intake.dispatch(report, dispatcher, centre)
                report.decided_at = received + timedelta(hours=6 if n % 6 else 40)
                _family(case, outcome, late_days, n, received, factor, sup, sup_m, sw1, sw1_m, dv, dvsup, dvsup_m)
                made += 1
        db.session.flush()
    return made


def _family(case, outcome, late_days, n, received, factor, sup, sup_m, sw1, sw1_m, dv, dvsup, dvsup_m) -> None:
    """One family's story, each step dated back to its day (``late_days``: its outcome recorded that many days
    after the assessment, e.g. after the end of the half-year)."""
    cases.assign(case, sup, sup_m, sw1)
    case.assigned_at = received + timedelta(days=1)
    visited = received + timedelta(days=4 if n % 7 else 13)  # every 7th family's first visit is late
    child = next(m for m in case.members if m.is_child)
    contact = cases.record_contact(case, sw1, sw1_m, contacted_at=visited, method=ContactMethod.HOME_VISIT,
                                   duration_minutes=60, persons_seen=[child.id], child_seen=True, note="家訪。")
    contact.created_at = visited + timedelta(hours=3)
    if outcome is None:
        return  # still being assessed
    level = Level.HIGH if n % 3 == 0 else Level.MEDIUM
    cases.assess_vulnerability(case, sw1, sw1_m, dimensions=["economic"], factor_ids=[factor[level].id])
    cases.write_assessment_report(case, sw1, sw1_m, reason_confirmed="通報事由屬實。", diagnosis="經濟陷困。",
                                  goals="穩定家庭經濟。", plan_proposal="急難紓困、就業轉介。")
    case.assessment_report_at = received + timedelta(days=20 if n % 8 else 35)
    decided = received + timedelta(days=22 + late_days)
    if outcome in (AssessmentOutcome.REFER_NETWORK.value, AssessmentOutcome.REFER_PROTECTIVE.value):  # before deciding
        referral = referrals.send(case, sw1, sw1_m, kind=ReferralKind.UNIT, reason="家庭暴力疑慮，轉介家防中心評估。",
                                  services_requested="保護服務評估", sections=["members"], to_unit=dv)
        sent = decided - timedelta(days=2)
        answered = sent + timedelta(hours=20 + n)
        if (n // 4) % 2:
            referrals.accept(referral, dvsup, dvsup_m, served_by="黃雅婷")
        else:
            referrals.decline(referral, dvsup, dvsup_m, DeclineReason.NOT_IN_SCOPE, "經評估非屬保護服務範疇。")
        referral.created_at, referral.responded_at = sent, answered
        for event in referral.events:
            event.at = answered if event.to_status not in ("", "waiting") else sent
    cases.decide(case, sw1, sw1_m, AssessmentOutcome.CASE_MANAGEMENT if outcome in ("open", "close")
                 else AssessmentOutcome(outcome))
    case.outcome_at = decided
    if case.closed_at is not None:  # not opened: closed at the decision
        case.closed_at = decided
    if outcome not in ("open", "close", AssessmentOutcome.CASE_MANAGEMENT.value):
        return
    cases.review_opening(case, sup, sup_m, True)
    case.opened_at = decided + timedelta(days=2)
    if outcome != "close":
        return
    cases.propose_closing(case, sw1, sw1_m, "家庭經濟穩定，目標達成。", Level.LOW if n % 4 else Level.MEDIUM)
    cases.review_closing(case, sup, sup_m, True)
    case.closed_at = decided + timedelta(days=150 + 5 * n)
