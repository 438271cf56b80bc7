"""Demo reports of every channel and state, for `flask seed-demo` (development only)."""
from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa

from ..accounts.models import User
from ..core import tenancy
from ..core.models import utcnow
from ..extensions import db
from ..tenants.models import County, District, Unit
from . import services
from .models import ChildClass, ChildGrade, InvalidReason, Report
from .reference import ReportingChannel

DEMO_SOURCE = "示範資料"

P = services.PersonInput


def _county(name):
    return db.session.scalars(sa.select(County).where(County.name == name)).one()


def _district(county, name):
    return db.session.scalars(sa.select(District).where(District.county_id == county.id, District.name == name)).one()


def _unit(name):
    return db.session.scalars(sa.select(Unit).where(Unit.name == name)).one()


def _user(username):
    return db.session.scalars(sa.select(User).where(User.username == username)).one()


def _report(county, district, channel, hours_ago, concerns, narrative, persons, **kw):
    data = services.ReportInput(
        district_id=_district(county, district).id, concerns=concerns, narrative=narrative, persons=persons,
        received_at=utcnow() - timedelta(hours=hours_ago), source_name=kw.pop("source_name", DEMO_SOURCE), **kw,
    )
    report, _ = services.receive(county, data, ReportingChannel(channel))
    return report


def seed_demo_reports() -> int:
    with tenancy.all_tenants("seed: look for demo reports in any county"):
        if db.session.scalars(sa.select(Report.id).where(Report.source_name.like(f"{DEMO_SOURCE}%"))).first():
            return 0
    taipei, hualien = _county("臺北市"), _county("花蓮縣")
    dispatcher, hua_dispatcher = _user("tpe.dispatch"), _user("hua.dispatch")
    made = 0
    with tenancy.tenant_scope(taipei.id):
        # Waiting: one overdue, one in its last quarter (amber), one fresh.
        _report(taipei, "萬華區", "35", 27, ["child_protection"], "鄰居反映半夜常聽到孩子哭喊與摔東西的聲音，孩子白天身上有瘀青。",
                [P("陳小安", "F", date(2019, 3, 2), relation="subject"), P("陳大同", "M", estimated_age=38, relation="father")],
                urgent=True, reporter=services.ReporterInput("public", name="李太太", phone="0912-345-678"))
        _report(taipei, "中正區", "36", 20, ["vulnerable_family"], "案母獨自照顧三名子女，近月失業、積欠房租，擔心被迫搬離。",
                [P("林美華", "F", date(1990, 6, 15), id_number="A223456781", relation="mother"), P("林小宇", "M", date(2016, 9, 1), relation="child")],
                dimensions=["economic"], reporter=services.ReporterInput("self", name="林美華"))
        _report(taipei, "大安區", "16", 20, ["ipv"], "急診就醫，右臂骨折，表示遭同居人推撞。",
                [P("張雅琪", "F", date(1985, 1, 20), relation="subject"), P("黃建國", "M", estimated_age=40, relation="respondent")],
                tipvda_answers=[True] * 9 + [False] * 6, victim_wishes="願意接受社工聯繫，希望聲請保護令。",
                reporter=services.ReporterInput("mandated", name="吳護理師", profession="medical", organisation="臺大醫院"))
        _report(taipei, "信義區", "7", 5, ["vulnerable_family"], "樓上長輩獨居，孫子常沒去上學，家中環境髒亂。",
                [P("周阿嬤", "F", estimated_age=78, relation="grandparent"), P("周小傑", "M", estimated_age=10, relation="child")],
                dimensions=["child_development", "disability_illness"], reporter=services.ReporterInput("public", anonymous=True))
        # Being screened.
        claimed = _report(taipei, "士林區", "24", 6, ["child_protection"], "員警處理家戶糾紛時發現兒童獨留在家。",
                          [P("許小芸", "F", date(2020, 11, 11), relation="subject")],
                          reporter=services.ReporterInput("mandated", profession="police", organisation="士林分局"))
        services.claim(claimed, dispatcher)
        # Decided ones.
        to_centre = _report(taipei, "中正區", "36", 30, ["vulnerable_family"], "案父中風後無法工作，兩名學齡子女午餐費無著。",
                            [P("王志強", "M", date(1978, 4, 8), id_number="A123456789", relation="father"), P("王小明", "M", date(2014, 2, 3), relation="child")],
                            dimensions=["economic", "disability_illness"])
        services.claim(to_centre, dispatcher)
        services.dispatch(to_centre, dispatcher, _unit("臺北市中正社會福利服務中心"), note="脆弱家庭，依行政區派案。")
        to_dv = _report(taipei, "文山區", "35", 50, ["child_protection"], "學校通報學生手臂有多處燙傷痕跡，表示是被繼父處罰。",
                        [P("趙小華", "F", date(2013, 7, 7), relation="subject"), P("錢大偉", "M", estimated_age=35, relation="respondent")],
                        reporter=services.ReporterInput("mandated", profession="education", organisation="文山國小"))
        services.claim(to_dv, dispatcher)
        services.dispatch(to_dv, dispatcher, _unit("臺北市家庭暴力暨性侵害防治中心"),
                          collaborators=[_unit("臺北市文山社會福利服務中心")],
                          child_grade=ChildGrade.SECOND, child_class=ChildClass.FIRST, note="共案：家防中心主責，社福中心協力。")
        duplicate = _report(taipei, "中正區", "7", 26, ["vulnerable_family"], "聽說王先生家經濟很困難。",
                            [P("王志強", "M", date(1978, 4, 8), relation="father")])
        services.claim(duplicate, dispatcher)
        services.screen_out(duplicate, dispatcher, InvalidReason.DUPLICATE, duplicate_of=to_centre, note="與前案同一家庭。")
        referred = _report(taipei, "北投區", "36", 40, ["vulnerable_family"], "長輩失能需要居家照顧服務。",
                           [P("鄭老先生", "M", estimated_age=85, relation="subject")])
        services.claim(referred, dispatcher)
        services.refer(referred, dispatcher, "臺北市長期照顧管理中心")
        moved = _report(taipei, "內湖區", "37", 10, ["family_member"], "來電者表示與成年兒子衝突，兒子已搬回花蓮。",
                        [P("蔡先生", "M", estimated_age=60, relation="subject")])
        services.claim(moved, dispatcher)
        services.transfer(moved, dispatcher, hualien, "相對人與案家現居花蓮縣，依居住地移轉。")
        made += 10
    with tenancy.tenant_scope(hualien.id):
        _report(hualien, "吉安鄉", "36", 3, ["vulnerable_family"], "原住民家庭，颱風後房屋受損，家中有身障成員。",
                [P("高阿美", "F", estimated_age=45, relation="mother")], dimensions=["event", "disability_illness"])
        h = _report(hualien, "花蓮市", "35", 12, ["child_protection"], "托嬰中心發現幼兒營養不良。",
                    [P("潘小安", "M", date(2024, 1, 5), relation="subject")])
        services.claim(h, hua_dispatcher)
        services.dispatch(h, hua_dispatcher, db.session.scalars(sa.select(Unit).where(Unit.name == "花蓮縣家庭暴力暨性侵害防治中心")).one(),
                          child_grade=ChildGrade.FIRST, child_class=ChildClass.FIRST)
        made += 2
    db.session.flush()
    return made
