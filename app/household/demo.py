"""The household picture's demo (``flask seed-demo``, development only): in 臺北市, a new report about the
鄭 family, whose household the county already knows — a case closed five months ago (a child back home
from placement, a developmental delay on record), an open case of 中正社福中心 — and whose father the
health bureau holds under 精神照護列管 (sent by the exchange demo through the FHIR endpoint's path,
``app/exchange/demo.py``). The screening page shows the picture and its flags; the worker of the open case
is notified of the 一級 flag it gains when the status arrives."""
from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa

from ..accounts.models import User
from ..cases import services as cases
from ..cases.models import CaseMember
from ..cases.reference import AssessmentOutcome, ContactMethod, Level
from ..core import calendar, tenancy
from ..core.filters import roc_date
from ..core.models import utcnow
from ..extensions import db
from ..intake import services as intake
from ..intake.demo import DEMO_SOURCE
from ..intake.models import Report
from ..intake.reference import ReportingChannel
from ..tenants.models import County, Unit
from . import queries, services
from .models import RiskSubject

P = intake.PersonInput
MARK = f"{DEMO_SOURCE}（家戶圖像）"
FATHER_ID, MOTHER_ID = "A120000016", "A203000005"


def _one(model, **where):
    return db.session.scalars(sa.select(model).filter_by(**where)).one()


def seed_demo_household() -> dict | None:
    with tenancy.all_tenants("seed: look for the household picture's demo"):
        if db.session.scalars(sa.select(Report.id).where(Report.source_name == MARK)).first():
            return None
    taipei = _one(County, name="臺北市")
    centre = _one(Unit, name="臺北市中正社會福利服務中心")
    dispatcher, sup, sw1 = (_one(User, username=u) for u in ("tpe.dispatch", "tpe.sup", "tpe.sw1"))
    sup_m = next(m for m in sup.memberships if m.unit_id == centre.id)
    sw1_m = sw1.memberships[0]
    district = next(d for d in taipei.districts if d.name == "中正區")
    today = calendar.today()
    young = date(today.year - 4, 2, 14)  # under 6
    father = P("鄭志明", "M", date(1988, 11, 2), id_number=FATHER_ID, relation="father", phone="0933-100-200")
    mother = P("鄭美玲", "F", date(1991, 5, 20), id_number=MOTHER_ID, relation="mother", phone="0933-100-201")
    older = P("鄭小樂", "M", date(2016, 8, 8), relation="child")
    little = P("鄭小安", "F", young, relation="child")

    def report(days_ago, persons, narrative, concerns=("vulnerable_family",), hours=0):
        made, _ = intake.receive(taipei, intake.ReportInput(
            district_id=district.id, concerns=list(concerns), dimensions=["economic"], narrative=narrative,
            persons=persons, address="臺北市中正區汀州路二段 20 號", source_name=MARK,
            received_at=utcnow() - timedelta(days=days_ago, hours=hours)), ReportingChannel("36"))
        return made

    def case_from(days_ago, persons, narrative):
        r = report(days_ago, persons, narrative)
        intake.claim(r, dispatcher)
        c = intake.dispatch(r, dispatcher, centre)
        cases.assign(c, sup, sup_m, sw1)
        child = next(m for m in c.members if m.is_child)
        cases.record_contact(c, sw1, sw1_m, contacted_at=c.received_at + timedelta(days=2),
                             method=ContactMethod.HOME_VISIT, duration_minutes=60, persons_seen=[child.id],
                             child_seen=True, note="家訪，了解家庭狀況。")
        return c

    with tenancy.tenant_scope(taipei.id):
        # a case of the family, closed five months ago: 鄭小樂 came home from placement in the summer
        closed = case_from(400, [father, mother, older], "鄭家案父失業、居住不穩，案子曾短期安置。")
        table = cases.factor_table_in_force()
        cases.assess_vulnerability(closed, sw1, sw1_m, dimensions=["economic"],
                                   factor_ids=[next(f for f in table.factors if f.level == Level.MEDIUM).id])
        cases.write_assessment_report(closed, sw1, sw1_m, reason_confirmed="通報事由屬實。", diagnosis="經濟陷困、居住不穩。",
                                      goals="穩定居住與就業。", plan_proposal="租屋協助、就業轉介。")
        cases.decide(closed, sw1, sw1_m, AssessmentOutcome.CASE_MANAGEMENT)
        cases.review_opening(closed, sup, sup_m, True)
        member = db.session.scalars(sa.select(CaseMember).where(CaseMember.case_id == closed.id,
                                                                CaseMember.name == older.name)).one()
        member.flags = ["developmental_delay"]
        member.placement_ended_on = today - timedelta(days=160)
        cases.propose_closing(closed, sw1, sw1_m, "案父穩定就業，租屋穩定。", Level.LOW)
        cases.review_closing(closed, sup, sup_m, True)
        closed.closed_at = utcnow() - timedelta(days=150)
        # the family's open case, served by 中正社福中心 (tpe.sw1)
        open_case = case_from(30, [father, mother, older, little], "鄭家案母反映案父情緒不穩，家中經濟再度困難。")
        # (the health bureau's register sends that the father is under its 精神照護 列管 through the exchange
        # endpoint's path: app/exchange/demo.py, after this; the flags are re-evaluated as it arrives)
        # today's report about the family, waiting in the screening queue (花蓮縣's case of the mother,
        # below, shows only as its existence and the unit to call)
        new = report(0, [father, mother, P(older.name, "M", older.birth_date, relation="child"),
                         P(little.name, "F", little.birth_date, relation="child")],
                     "學校反映鄭小樂近兩週未到校，鄰居聽到案父深夜大聲吼叫、摔東西。", hours=2)
        made = {"report_id": new.id, "report_no": new.report_no, "open_case": open_case.case_no,
                "closed_case": closed.case_no}
    hualien = _one(County, name="花蓮縣")
    with tenancy.tenant_scope(hualien.id):
        # the mother lived in 花蓮縣 last year: its 社福中心 still serves her there
        elsewhere, _ = intake.receive(hualien, intake.ReportInput(
            district_id=hualien.districts[0].id, concerns=["vulnerable_family"], narrative="鄭美玲在花蓮工作期間經濟困難。",
            persons=[mother], source_name=MARK, received_at=utcnow() - timedelta(days=60)), ReportingChannel("36"))
        hua_dispatcher = _one(User, username="hua.dispatch")
        intake.claim(elsewhere, hua_dispatcher)
        intake.dispatch(elsewhere, hua_dispatcher, _one(Unit, name="花蓮縣花蓮社會福利服務中心"))
    return made


def describe_flags(county_name: str, report_id: int) -> list[str]:
    """The demo report's flags with their facts, for the command's output."""
    county = _one(County, name=county_name)
    with tenancy.tenant_scope(county.id):
        out = []
        for flag in queries.flags_of(RiskSubject.REPORT, report_id):
            facts = "；".join(f["text"] + (f"（{queries.source_label(f['source'])}" + (f"，{roc_date(date.fromisoformat(f['on']), 'short')}" if f.get("on") else "")
                                         + "）" if f.get("source") else "") for f in flag.facts)
            out.append(f"{flag.level_label} {flag.key} {flag.label}：{facts}")
        return out
