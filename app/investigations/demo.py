"""Demo data of the 通報調查處理中心, for `flask seed-demo` (development only): 臺北市 runs a pilot centre from
115-07-01 (its county-set start date; the other counties keep the programme's 116-01-01), with child-protection
reports received before it (gone to the 家防中心) and after it (investigated by the centre) in every state."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import sqlalchemy as sa
from flask import current_app

from ..accounts.models import Membership, Role, User
from ..cases import services as cases
from ..cases.models import FamilyCase
from ..cases.reference import ContactMethod
from ..accounts.passwords import hash_password
from ..core import tenancy
from ..core.models import utcnow
from ..extensions import db
from ..intake import services as intake
from ..intake.models import ChildClass, ChildGrade
from ..intake.reference import ReportingChannel
from ..referrals.models import PartnerService
from ..tenants import services as directory
from ..tenants.models import County, District, Unit, UnitKind
from . import services
from .models import Investigation

CENTRE = "臺北市通報調查處理中心"
PILOT_FROM = date(2026, 7, 1)  # 115-07-01
DEMO_SOURCE = "示範資料（調查中心）"
STAFF = (("tpe.inv1", "鄭心怡", Role.SOCIAL_WORKER), ("tpe.invsup", "潘志偉", Role.SUPERVISOR))
P = intake.PersonInput


def _one(model, **by):
    return db.session.scalars(sa.select(model).filter_by(**by)).one()


def _centre(taipei: County) -> Unit:
    unit = db.session.scalars(sa.select(Unit).where(Unit.county_id == taipei.id, Unit.name == CENTRE)).first()
    if unit is None:
        unit = directory.save_county_unit(taipei, None, kind=UnitKind.INVESTIGATION_CENTRE, name=CENTRE,
                                          short_name="調查中心", phone="02-2396-1996", district_ids=[], is_active=True)
    password_hash = hash_password(current_app.config["DEMO_PASSWORD"])
    for username, name, role in STAFF:
        user = db.session.scalars(sa.select(User).where(User.username == username)).first()
        if user is None:
            user = User(username=username, display_name=name, password_hash=password_hash)
            db.session.add(user)
        if not any(m.unit_id == unit.id for m in user.memberships):
            user.memberships.append(Membership(unit=unit, role=role))
    db.session.flush()
    return unit


def _report(taipei, district, received_at, narrative, child, *, urgent=False):
    district_id = db.session.scalars(sa.select(District.id).where(District.county_id == taipei.id,
                                                                  District.name == district)).one()
    report, _ = intake.receive(taipei, intake.ReportInput(
        district_id=district_id, concerns=["child_protection"], narrative=narrative, urgent=urgent,
        received_at=received_at, source_name=DEMO_SOURCE,
        persons=[P(child, "F" if child[-1] in "華芳婷" else "M", date(2017, 4, 1), relation="subject"),
                 P(child[0] + "媽媽", "F", estimated_age=36, relation="mother")]), ReportingChannel("35"))
    return report


def _visit(case_id: int, username: str, at: datetime) -> None:
    """The receiving unit's first home visit (what the 兒少保家庭服務涵蓋率 counts as served)."""
    case = db.session.get(FamilyCase, case_id)
    user = _one(User, username=username)
    membership = next(m for m in user.memberships if cases.unit_on_case(case, m.unit_id) is not None)
    cases.record_contact(case, user, membership, contacted_at=at, method=ContactMethod.HOME_VISIT,
                         duration_minutes=60, persons_seen=[], child_seen=False,
                         note="家訪，了解家庭照顧狀況與需求，說明後續服務。")


def seed_demo_investigations() -> int:
    with tenancy.all_tenants("seed: look for the centre's demo reports"):
        if db.session.scalars(sa.select(Investigation.id)).first() is not None:
            return 0
    taipei = _one(County, name="臺北市")
    taipei.investigation_from = PILOT_FROM
    centre = _centre(taipei)
    dispatcher = _one(User, username="tpe.dispatch")
    worker, supervisor = _one(User, username="tpe.inv1"), _one(User, username="tpe.invsup")
    wm, sm = worker.memberships[0], supervisor.memberships[0]
    dv = _one(Unit, name="臺北市家庭暴力暨性侵害防治中心")
    welfare = _one(Unit, name="臺北市萬華社會福利服務中心")
    now = utcnow()
    made = 0
    with tenancy.tenant_scope(taipei.id):
        # Before the pilot's start: the old route, straight to the 家防中心.
        for when, district, child in ((datetime(2026, 6, 12, 2, tzinfo=timezone.utc), "北投區", "蘇小翔"),
                                      (datetime(2026, 6, 30, 14, tzinfo=timezone.utc), "內湖區", "簡小芳")):
            report = _report(taipei, district, when, "學校通報學生身上有多處瘀傷，表示被家長責打。", child)
            intake.claim(report, dispatcher)
            intake.dispatch(report, dispatcher, dv, child_grade=ChildGrade.SECOND, child_class=ChildClass.FIRST,
                            note="通報調查處理中心啟用前受理：依原路徑派家防中心。")
            if child == "蘇小翔":  # the other one is not yet visited: a gap on the target board
                _visit(report.case_id, "tpe.dv1", when + timedelta(days=2))
            made += 1
        # From the start date: investigated by the centre. (received, grade, what the centre has done)
        plan = [
            (timedelta(hours=3), ChildGrade.FIRST, "pending", "萬華區", "洪小宇"),
            (timedelta(days=6), ChildGrade.SECOND, "pending", "大同區", "彭小華"),  # first contact overdue
            (timedelta(days=12), ChildGrade.SECOND, "investigating", "中山區", "游小杰"),
            (timedelta(days=40), ChildGrade.SECOND, "investigating", "松山區", "詹小婷"),  # conclusion overdue
            (timedelta(days=25), ChildGrade.SECOND, "need", "中正區", "葉小安"),  # concluded, not yet dispatched
            (timedelta(days=60), ChildGrade.FIRST, "dv", "文山區", "魏小恩"),
            (timedelta(days=50), ChildGrade.SECOND, "welfare", "萬華區", "呂小涵"),
            (timedelta(days=45), ChildGrade.SECOND, "welfare", "萬華區", "丁小翰"),
            (timedelta(days=35), ChildGrade.SECOND, "closed", "大安區", "沈小芳"),
            (timedelta(days=20), ChildGrade.SECOND, "no_need", "信義區", "余小傑"),  # awaiting the supervisor
        ]
        for ago, grade, state, district, child in plan:
            report = _report(taipei, district, now - ago, "鄰居反映孩子常被獨留在家、深夜哭喊，疑似照顧疏忽。", child,
                             urgent=grade == ChildGrade.FIRST)
            intake.claim(report, dispatcher)
            intake.dispatch(report, dispatcher, centre, child_grade=grade, child_class=ChildClass.FIRST,
                            note="兒少保護，啟用日後受理：送通報調查處理中心調查。")
            inv = db.session.scalars(sa.select(Investigation).where(Investigation.report_id == report.id)).one()
            made += 1
            if state == "pending":
                continue
            services.start(inv, worker, wm, "電話聯繫案母並約定家訪")
            if state == "investigating":
                continue
            need = state in ("need", "dv", "welfare")
            services.conclude(inv, worker, wm, substantiated=need, service_need=need,
                              note="家訪並訪談學校老師，" + ("照顧疏忽成立，需家庭支持與親職服務。" if need else "查無不當對待，家庭支持系統足夠。"))
            if state == "dv":
                case = services.dispatch(inv, worker, wm, dv, "第一級，續由家防中心提供保護服務")
                _visit(case.id, "tpe.dv1", utcnow())
            elif state == "welfare":
                partner = None
                if child == "呂小涵":  # also referred to a partner when dispatched (同時轉介民間團體)
                    support = db.session.scalars(sa.select(PartnerService).where(
                        PartnerService.name == "兒少及家庭支持服務")).first()
                    if support is not None and taipei.id in support.county_ids:
                        partner = services.PartnerReferral(support, reason="兒少放學後無人照顧，需課後照顧與親職教育",
                                                           services_requested="兒少課後照顧、親職教育",
                                                           sections=["members", "reports"], consent=True,
                                                           consent_by="呂媽媽")
                case = services.dispatch(inv, worker, wm, welfare, "家庭功能待提升，由社福中心提供家庭支持服務",
                                         partner=partner)
                if child == "呂小涵":
                    _visit(case.id, "tpe.sw2", utcnow())
            elif state == "closed":
                services.close(inv, supervisor, sm, "調查不成立、無服務需求，督導確認結束")
        db.session.flush()
    return made
