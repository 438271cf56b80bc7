"""Demo families in every state of a case, for `flask seed-demo` (development only)."""
from __future__ import annotations

import io
import shutil
import subprocess
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa

from ..core import calendar
from ..accounts.models import User
from ..core import tenancy
from ..core.filters import TAIPEI
from ..core.models import utcnow
from ..extensions import db
from ..intake import services as intake
from ..intake.demo import DEMO_SOURCE
from ..intake.models import Report
from ..intake.reference import Relation, ReportingChannel
from ..tenants.models import County, Unit
from PIL import Image, ImageDraw, ImageFont

from . import documents, programme, services
from .models import CaseService, CaseTargetGroup, CaseUnit, CaseUnitRole, FamilyCase
from .reference import AssessmentOutcome, ContactMethod, Level, RemovalOutcome, ServiceStatus, WelfareType

P = intake.PersonInput
MARK = f"{DEMO_SOURCE}（個案）"


def _one(model, **where):
    return db.session.scalars(sa.select(model).filter_by(**where)).one()


def _font(size: int):
    """Noto Sans CJK when fontconfig finds it (the set-up installs it), else Pillow's own (no Chinese)."""
    found = shutil.which("fc-match") and subprocess.run(["fc-match", "-f", "%{file}", "Noto Sans CJK TC"],
                                                        capture_output=True, text=True).stdout.strip()
    try:
        return ImageFont.truetype(found, size) if found else ImageFont.load_default()
    except OSError:
        return ImageFont.load_default()


def _sheet(lines: list[str], size=(620, 400), background="white") -> Image.Image:
    image = Image.new("RGB", size, background)
    draw = ImageDraw.Draw(image)
    draw.rectangle((10, 10, size[0] - 10, size[1] - 10), outline=(40, 60, 120), width=3)
    for i, line in enumerate(lines):
        draw.text((36, 36 + i * 44), line, fill=(20, 20, 20), font=_font(26 if i == 0 else 20))
    return image


def demo_pdf(lines: list[str]) -> bytes:
    """A small, real one-page PDF (made by Pillow: fast enough for every test that seeds the demo)."""
    out = io.BytesIO()
    _sheet(lines, (595, 842)).save(out, "PDF", resolution=72)
    return out.getvalue()


def demo_png(lines: list[str]) -> bytes:
    out = io.BytesIO()
    _sheet(lines, background=(236, 244, 236)).save(out, "PNG", optimize=True)
    return out.getvalue()


DEMO_CONSENT = "郭○○家_服務同意書.pdf"
DEMO_PHOTO = "郭○○家_居住環境照片.png"


def _demo_documents(case, worker, membership) -> None:
    """Two documents on the 郭 family (one is shared with 家扶 by the demo referral, see referrals.demo)."""
    documents.upload(case, worker, membership, kind=documents.DocumentKind.CONSENT, description="郭媽媽簽署之服務與資料分享同意書（示範）",
                     filename=DEMO_CONSENT, data=demo_pdf(["服務同意書（示範文件）", "立同意書人：郭媽媽",
                                                           "同意臺北市中正社福中心提供服務，", "並於轉介時分享必要資料。"]))
    documents.upload(case, worker, membership, kind=documents.DocumentKind.PHOTO, description="家訪時拍攝之居住環境（示範）",
                     filename=DEMO_PHOTO, data=demo_png(["居住環境照片（示範）", "客廳與兒少書桌"]))


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
        _demo_documents(late, sw1, sw1_m)
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


# --- 社安網2.0: families of each new group in 115年 (the target board's figures and gaps) ----------------

PROGRAMME_MARK = f"{DEMO_SOURCE}（社安網2.0）"
PROGRAMME_COUNTIES = (
    # county, centre, dispatcher, supervisor, worker, district,
    # new parents (surname, given 育兒指導), elders (surname, reached), removal outcomes
    ("臺北市", "臺北市中正社會福利服務中心", "tpe.dispatch", "tpe.sup", "tpe.sw1", "中正區",
     (("江", True), ("鍾", True), ("范", False), ("翁", False), ("石", True)),
     (("柯", True), ("侯", True), ("宋", False)),
     ("removed", "removed", "refused", "pending", "removed")),
    ("花蓮縣", "花蓮縣花蓮社會福利服務中心", "hua.dispatch", "hua.sup", "hua.sw1", "花蓮市",
     (("盧", True), ("戴", False)),
     (("魏", True), ("薛", False)),
     ("removed", "pending")),
)
PLATFORMS = ("Facebook", "Instagram", "X（Twitter）", "成人影音網站", "Telegram 群組")


def seed_demo_programme() -> int:
    """New parents (some given 育兒指導, some not yet), elders living alone (reached and not), a near-poor
    family given 實物給付, and victims of 性影像暴力 with removal requests removed, refused and pending, in
    臺北市 and 花蓮縣, dated in 115年. Idempotent."""
    with tenancy.all_tenants("seed: look for demo programme families"):
        if db.session.scalars(sa.select(Report.id).where(Report.source_name == PROGRAMME_MARK)).first():
            return 0
    today = calendar.today()
    start = date(2026, 1, 1)
    span = max(1, (today - start).days)
    made = 0
    for (county_name, centre_name, dispatch_name, sup_name, sw_name, district_name,
         parents, elders, removals) in PROGRAMME_COUNTIES:
        county = _one(County, name=county_name)
        centre = _one(Unit, name=centre_name)
        dispatcher, sup, sw = (_one(User, username=u) for u in (dispatch_name, sup_name, sw_name))
        sup_m = next(m for m in sup.memberships if m.unit_id == centre.id)
        sw_m = next(m for m in sw.memberships if m.unit_id == centre.id)
        district = next((d for d in county.districts if d.name == district_name), county.districts[0])

        def family(surname, days_ago, persons, narrative, concerns=("vulnerable_family",)):
            report, _ = intake.receive(county, intake.ReportInput(
                district_id=district.id, concerns=list(concerns), dimensions=["economic"], narrative=narrative,
                persons=persons, address=f"{county_name}{district.name}示範路{days_ago}號",
                received_at=utcnow() - timedelta(days=days_ago), source_name=PROGRAMME_MARK), ReportingChannel("36"))
            intake.claim(report, dispatcher)
            case = intake.dispatch(report, dispatcher, centre)
            services.assign(case, sup, sup_m, sw)
            return case

        def day(fraction):  # a date in 115年, before today
            return start + timedelta(days=int(span * fraction))

        with tenancy.tenant_scope(county.id):
            for i, (surname, guided) in enumerate(parents):
                days_ago = (today - day(0.1 + 0.15 * i)).days
                case = family(surname, days_ago, [P(f"{surname}媽媽", "F", date(1995, 2, 2), relation="mother"),
                                                  P(f"{surname}寶寶", "M", today - timedelta(days=days_ago + 30), relation="child")],
                              f"{surname}家新生兒，案母初為人母，照顧壓力大。")
                mother = next(m for m in case.members if Relation(m.relation) == Relation.MOTHER)
                programme.mark_group(case, sw, sw_m, group_code="new_parent", since=case.received_at.date(),
                                     member_id=mother.id, note="新生兒未滿一歲")
                if guided:
                    services.add_service(case, sw, sw_m, item="g_parenting_guidance", status=ServiceStatus.DELIVERED,
                                         on=min(today, case.received_at.date() + timedelta(days=10)), amount=None,
                                         note="到宅育兒指導：餵食、睡眠與安全照顧")
                else:
                    services.add_service(case, sw, sw_m, item="g_parenting_guidance", status=ServiceStatus.PLANNED,
                                         on=today, amount=None, note="預定安排育兒指導員到宅")
                made += 1
            for i, (surname, reached) in enumerate(elders):
                days_ago = 400 if i == 0 else (today - day(0.2 + 0.2 * i)).days  # the first one known since 114年
                case = family(surname, days_ago, [P(f"{surname}阿公", "M", date(1942, 5, 5), relation="subject"),
                                                  P(f"{surname}小妹", "F", date(2015, 5, 5), relation="child")],
                              f"{surname}伯獨居，行動不便，鄰里通報。")
                elder = next(m for m in case.members if Relation(m.relation) == Relation.SUBJECT)
                if i == 0:  # a 114年 service: it keeps its phase-2 label and strategy
                    services.add_service(case, sw, sw_m, item="s1_support", status=ServiceStatus.DELIVERED,
                                         on=case.received_at.date() + timedelta(days=7), amount=None, note="關懷訪視（第二期）")
                programme.mark_group(case, sw, sw_m, group_code="elder_alone", since=max(start, case.received_at.date()),
                                     member_id=elder.id)
                if reached:
                    services.add_service(case, sw, sw_m, item="g_elder_visit", status=ServiceStatus.DELIVERED,
                                         on=day(0.6), amount=None, note="獨老關懷訪視")
                    services.add_service(case, sw, sw_m, item="g_elder_meals", status=ServiceStatus.DELIVERED,
                                         on=day(0.7), amount=None, note="營養餐飲送餐")
                made += 1
            # a near-poor family: 福利身分別 近貧人口 and 實物給付
            case = family("溫" if county_name != "臺北市" else "倪", (today - day(0.3)).days,
                          [P("近貧家案母", "F", date(1985, 1, 1), relation="mother"),
                           P("近貧家小明", "M", date(2016, 1, 1), relation="child")], "家庭收入略高於中低收入門檻，生活困難。")
            mother = next(m for m in case.members if Relation(m.relation) == Relation.MOTHER)
            mother.welfare_type = WelfareType.NEAR_POOR
            programme.mark_group(case, sw, sw_m, group_code="near_poor", since=case.received_at.date(), member_id=mother.id)
            services.add_service(case, sw, sw_m, item="s1_in_kind", status=ServiceStatus.DELIVERED,
                                 on=case.received_at.date() + timedelta(days=5), amount=3000, note="實物銀行物資")
            made += 1
            # victims of 性影像暴力: removal requests removed, refused and pending
            case = family("韓" if county_name == "臺北市" else "秦", (today - day(0.15)).days,
                          [P("被害人小姐", "F", date(2001, 8, 8), relation="subject"),
                           P("被害人之子", "M", date(2020, 8, 8), relation="child")], "前伴侶散布私密影像。",
                          concerns=("vulnerable_family",))
            victim = next(m for m in case.members if Relation(m.relation) == Relation.SUBJECT)
            programme.mark_group(case, sw, sw_m, group_code="image_violence", since=case.received_at.date(), member_id=victim.id)
            for i, outcome in enumerate(removals):
                asked = day(0.2 + 0.12 * i)
                result_on = min(today, asked + timedelta(days=9)) if outcome != "pending" else None
                request = programme.add_removal_request(case, sw, sw_m, platform=PLATFORMS[i % len(PLATFORMS)], asked_on=asked,
                                                        outcome=RemovalOutcome(outcome), outcome_on=result_on, member_id=victim.id)
                request.recorded_at = datetime.combine(asked, time(10), tzinfo=TAIPEI)
                if result_on is not None:
                    request.outcome_recorded_at = datetime.combine(result_on, time(15), tzinfo=TAIPEI)
            made += 1
            # marks and services as if recorded on their dates (the board counts what was recorded by a period's end)
            for mark in db.session.scalars(sa.select(CaseTargetGroup).where(CaseTargetGroup.tenant_id == county.id)):
                mark.recorded_at = datetime.combine(mark.since, time(9), tzinfo=TAIPEI)
            for service in db.session.scalars(sa.select(CaseService).where(CaseService.tenant_id == county.id)):
                service.recorded_at = min(service.recorded_at, datetime.combine(service.on, time(16), tzinfo=TAIPEI))
            db.session.flush()
    return made
