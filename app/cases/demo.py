"""Demo families in every state of a case, for `flask seed-demo` (development only)."""
from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa

from ..core import calendar
from ..accounts.models import User
from ..core import tenancy
from ..core.models import utcnow
from ..extensions import db
from ..intake import services as intake
from ..intake.demo import DEMO_SOURCE
from ..intake.models import Report
from ..intake.reference import ReportingChannel
from ..tenants.models import County, Unit
from . import services
from .models import CaseUnit, CaseUnitRole, FamilyCase
from .reference import AssessmentOutcome, ContactMethod, Level, ServiceStatus

P = intake.PersonInput
MARK = f"{DEMO_SOURCE}（個案）"


def _one(model, **where):
    return db.session.scalars(sa.select(model).filter_by(**where)).one()


def seed_demo_cases() -> int:
    with tenancy.all_tenants("seed: look for demo cases"):
        if db.session.scalars(sa.select(Report.id).where(Report.source_name == MARK)).first():
            return 0
    taipei = _one(County, name="臺北市")
    centre = _one(Unit, name="臺北市中正社會福利服務中心")
    dispatcher, sup, sw1, sw2 = (_one(User, username=u) for u in ("tpe.dispatch", "tpe.sup", "tpe.sw1", "tpe.sw2"))
    sup_m = next(m for m in sup.memberships if m.unit_id == centre.id)
    sw1_m = sw1.memberships[0]
    district = next(d for d in taipei.districts if d.name == "中正區")
    table = services.factor_table_in_force()
    high = next(f for f in table.factors if f.level == Level.HIGH)
    medium = next(f for f in table.factors if f.level == Level.MEDIUM)

    def family(surname, days_ago, children=1):
        persons = [P(f"{surname}媽媽", "F", date(1987, 3, 3), relation="mother", phone="0922-000-111")]
        persons += [P(f"{surname}小{'一二三'[i]}", "M" if i % 2 else "F", date(2014 + i * 2, 6, 1), relation="child")
                    for i in range(children)]
        report, _ = intake.receive(taipei, intake.ReportInput(
            district_id=district.id, concerns=["vulnerable_family"], dimensions=["economic"],
            narrative=f"{surname}家經濟困難，需要協助。", persons=persons, address="臺北市中正區羅斯福路一段1號",
            received_at=utcnow() - timedelta(days=days_ago), source_name=MARK), ReportingChannel("36"))
        intake.claim(report, dispatcher)
        return intake.dispatch(report, dispatcher, centre)

    def visit(case, days_after):
        child = next(m for m in case.members if m.is_child)
        services.record_contact(case, sw1, sw1_m, contacted_at=case.received_at + timedelta(days=days_after),
                                method=ContactMethod.HOME_VISIT, duration_minutes=60, persons_seen=[child.id],
                                child_seen=True, note="家訪，了解家庭狀況。")

    def assessed(case, factor=medium):
        services.assess_vulnerability(case, sw1, sw1_m, dimensions=["economic", "relationship"], factor_ids=[factor.id])
        services.write_assessment_report(case, sw1, sw1_m, reason_confirmed="通報事由屬實。", diagnosis="經濟陷困。",
                                         goals="穩定家庭經濟。", plan_proposal="急難紓困、就業轉介。")

    made = 0
    with tenancy.tenant_scope(taipei.id):
        # assessing, first visit overdue (received 12 days ago, no visit yet)
        late = family("郭", 12)
        services.assign(late, sup, sup_m, sw1)
        # assessing, visited in time
        c = family("洪", 4)
        services.assign(c, sup, sup_m, sw1)
        visit(c, 2)
        # waiting for the supervisor to approve opening
        c = family("曾", 15, children=2)
        services.assign(c, sup, sup_m, sw1)
        visit(c, 3)
        assessed(c, high)
        services.decide(c, sw1, sw1_m, AssessmentOutcome.CASE_MANAGEMENT)
        # open, with a plan and services
        c = family("邱", 40)
        services.assign(c, sup, sup_m, sw1)
        visit(c, 5)
        assessed(c)
        services.decide(c, sw1, sw1_m, AssessmentOutcome.CASE_MANAGEMENT)
        services.review_opening(c, sup, sup_m, True)
        services.add_plan(c, sw1, sw1_m, goals="三個月內穩定收入，兒少按時就學。", agreed_by="邱媽媽",
                          agreed_on=calendar.today() - timedelta(days=20), review_due=calendar.today() + timedelta(days=70))
        services.add_service(c, sw1, sw1_m, item="s1_emergency", status=ServiceStatus.DELIVERED,
                             on=calendar.today() - timedelta(days=15), amount=8000, note="急難紓困")
        services.add_service(c, sw1, sw1_m, item="s4_employment", status=ServiceStatus.PLANNED, on=calendar.today(),
                             amount=None, note="轉介就業服務站")
        # waiting for the supervisor to approve closing
        c = family("廖", 120)
        services.assign(c, sup, sup_m, sw1)
        visit(c, 6)
        assessed(c)
        services.decide(c, sw1, sw1_m, AssessmentOutcome.CASE_MANAGEMENT)
        services.review_opening(c, sup, sup_m, True)
        services.assign(c, sup, sup_m, sw2)  # 改派: the timeline shows the handover
        services.propose_closing(c, sup, sup_m, "案母穩定就業，目標達成。", Level.LOW)
        def closed(surname, days_ago, reason):
            c = family(surname, days_ago)
            services.assign(c, sup, sup_m, sw1)
            visit(c, 3)
            assessed(c)
            services.decide(c, sw1, sw1_m, AssessmentOutcome.CASE_MANAGEMENT)
            services.review_opening(c, sup, sup_m, True)
            services.propose_closing(c, sw1, sw1_m, reason, Level.LOW)
            services.review_closing(c, sup, sup_m, True)
            return c

        # closed, and a re-report of the same family
        closed("賴", 200, "經濟改善。")
        family("賴", 1)  # re-report within 12 months
        # closed long ago, past the county's retention period (保存期限審查): one that may be disposed,
        # and a joint case, which may not
        for surname, years, joint in (("簡", 9, False), ("溫", 8, True)):
            c = closed(surname, 365 * years + 200, "目標達成，家庭功能穩定。")
            if joint:
                c.units.append(CaseUnit(unit_id=_one(Unit, name="臺北市萬華社會福利服務中心").id,
                                        role=CaseUnitRole.COLLABORATOR))
            c.closed_at = utcnow() - timedelta(days=365 * years)
        # not opened: welfare consultation only
        c = family("周", 25)
        services.assign(c, sup, sup_m, sw1)
        visit(c, 2)
        services.decide(c, sw1, sw1_m, AssessmentOutcome.WELFARE_CONSULTATION, "提供福利諮詢後無需持續服務。")
        made = db.session.scalar(sa.select(sa.func.count(FamilyCase.id)))
    db.session.flush()
    return made
