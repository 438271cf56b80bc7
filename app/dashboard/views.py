"""The home page: each role's work list. The counts come from the read models of each area
(their queries.py), each over what the membership may see; every count links to the list it counts,
and htmx refreshes the block of counts every minute (the same template's ``worklist`` block)."""
from __future__ import annotations

from dataclasses import dataclass, field

from flask import Blueprint, g, url_for
from flask_login import current_user

from ..accounts.models import Membership, Role
from ..campaigns import queries as campaign_queries
from ..cases import queries as case_queries
from ..core.filters import TAIPEI
from ..core.models import utcnow
from ..core.permissions import signed_in
from ..core.rendering import render, wants_fragment
from ..intake import queries as intake_queries
from ..investigations import queries as investigation_queries
from ..meetings import queries as meeting_queries
from ..referrals import queries as referral_queries
from ..reports import queries as report_queries
from ..reports.forms import period_token
from . import queries
from ..tenants.models import UnitKind

bp = Blueprint("dashboard", __name__)


@dataclass
class Tile:
    label: str
    count: int
    url: str
    tone: str = "plain"  # plain | alert (red when not zero) | warn (amber when not zero)
    note: str = ""

    @property
    def css(self) -> str:
        if not self.count:
            return "tile-zero"
        return {"alert": "tile-alert", "warn": "tile-warn"}.get(self.tone, "tile-plain")


@dataclass
class WorkList:
    kind: str  # dispatch | supervisor | worker | unit_admin | partner | county | ministry
    title: str
    groups: list[tuple[str, list[Tile]]] = field(default_factory=list)  # (heading, tiles), in reading order
    extra: dict = field(default_factory=dict)


def _referral_tiles(m: Membership, counts: dict) -> list[Tile]:
    return [Tile("待回覆的轉介", counts["waiting"], url_for("referrals.inbox", box="received", status="waiting"), "warn",
                 f"其中逾期未回覆 {counts['waiting_overdue']} 件" if counts["waiting_overdue"] else "收到後請於期限內回覆"),
            Tile("被退回的轉介", counts["sent_returned"], url_for("referrals.inbox", box="sent", status="returned"), "warn",
                 "送出後被退回，待補正後重送")]


def _due_tiles(counts: dict, *, county: bool = False) -> list[Tile]:
    scope = "全縣市" if county else "本單位"
    return [
        Tile("首次訪視逾期", counts["first_visit_overdue"], url_for("cases.search", due="first_visit_overdue"), "alert",
             f"{scope}脆弱家庭收案 10 日內未訪視"),
        Tile("24 小時未親見兒少", counts["child_seen_overdue"], url_for("cases.search", due="child_seen_overdue"), "alert",
             f"{scope}第一級保護案件"),
        Tile("評估報告逾期", counts["report_overdue"], url_for("cases.search", due="report_overdue"), "alert",
             f"{scope}收案 30 日內未完成評估報告"),
        Tile("服務計畫檢討逾期", counts["plan_review_overdue"], url_for("cases.search", due="plan_review_overdue"), "alert",
             f"{scope}開案中、已過預定檢討日"),
    ]


def _dispatch(m: Membership, now) -> WorkList:
    work = intake_queries.dispatch_work(current_user.id, now)
    return WorkList("dispatch", "篩派案工作", [("通報", [
        Tile("待篩派案通報", work.open, url_for("intake.queue"), "plain", "依派案時限排序"),
        Tile("已逾派案時限", work.overdue, url_for("intake.queue", due="overdue"), "alert", "請優先處理"),
        Tile("我認領篩案中", work.mine, url_for("intake.queue", mine="1"), "plain", f"全中心篩案中 {work.claimed} 件"),
    ])], {"reports": work.first})


def _supervisor(m: Membership, now) -> WorkList:
    counts = case_queries.unit_work(m, now)
    refs = referral_queries.work(m, now)
    decide = "待您核定" if m.role == Role.SUPERVISOR else "待督導核定"
    groups = [
        ("指派與審核", [
            Tile("待指派社工", counts["awaiting_assignment"], url_for("cases.inbox", status="awaiting_assignment"), "warn",
                 "派入本單位、尚未指派"),
            Tile("開案審核", counts["opening_review"], url_for("cases.inbox", status="opening_review", lead="1"), "warn",
                 f"本單位主責、社工送出的開案評估，{decide}"),
            Tile("結案審核", counts["closing_review"], url_for("cases.inbox", status="closing_review", lead="1"), "warn",
                 f"本單位主責、社工送出的結案評估，{decide}"),
        ]),
        ("本單位逾期", _due_tiles(counts)),
        ("轉介", _referral_tiles(m, refs)),
    ]
    return WorkList("supervisor" if m.role == Role.SUPERVISOR else "unit_admin", "本單位待辦", groups)


def _worker(m: Membership, now) -> WorkList:
    rows = case_queries.my_work(current_user.id, now)
    refs = referral_queries.work(m, now)
    overdue = sum(1 for _, nd in rows if nd and nd.due.state == "overdue")
    soon = sum(1 for _, nd in rows if nd and nd.due.state == "soon")
    return WorkList("worker", "我的待辦", [
        ("我的案件", [
            Tile("我的案件", len(rows), url_for("cases.mine"), "plain", "未結案、由我負責"),
            Tile("已逾期的案件", overdue, url_for("cases.mine"), "alert", "有期限已過、尚未完成的事項"),
            Tile("即將到期的案件", soon, url_for("cases.mine"), "warn", "期限將至，請優先安排"),
        ]),
        ("轉介", _referral_tiles(m, refs)),
    ], {"cases": rows})


def _investigation(m: Membership, now) -> WorkList:
    """The 通報調查處理中心's staff work from the centre's queue, not from family cases."""
    counts = investigation_queries.counts(now)
    queue = url_for("investigations.queue")
    return WorkList("investigation", "調查待辦", [("兒少保護調查", [
        Tile("待調查", counts["pending"], queue, "warn", "尚未首次接觸，依時限排序"),
        Tile("已逾期", counts["overdue"], queue, "alert", "首次接觸或調查完成已過時限"),
        Tile("調查中", counts["investigating"], queue, "plain", "應於收案 30 日內完成調查"),
        Tile("調查完成待派案", counts["awaiting_dispatch"], queue, "warn", "有服務需求者須派案服務，無者由督導結束"),
    ])])


def _partner(m: Membership, now) -> WorkList:
    refs = referral_queries.work(m, now)
    visits = campaign_queries.visits_to_make(m.unit_id, now.astimezone(TAIPEI).date(), partner=True)
    groups = [("轉介", [
        Tile("待回覆的轉介", refs["waiting"], url_for("referrals.inbox", status="waiting"), "warn",
             f"其中逾期未回覆 {refs['waiting_overdue']} 件" if refs["waiting_overdue"] else "請於期限內受案或說明不受案"),
        Tile("服務中（待記錄服務）", refs["in_service"], url_for("referrals.inbox", status="in_service"), "plain",
             "記錄服務，完成後回報成果"),
    ])]
    if visits:
        groups.append(("春節關懷訪視", [
            Tile("待訪視家庭", n, url_for("campaigns.my_visits", campaign_id=campaign.id), "warn",
                 f"{campaign.name}：縣市指派給本單位、尚未記錄訪視") for campaign, n in visits]))
    return WorkList("partner", "本團體待辦", groups)


def _county(m: Membership, now) -> WorkList:
    today = now.astimezone(TAIPEI).date()
    counts = case_queries.county_overdue(m, now)
    due = report_queries.reports_due(m.county_id, today)
    groups = [
        ("通報與報表", [
            Tile("逾期未篩派通報", intake_queries.overdue_open_count(now), url_for("intake.figures"), "alert",
                 "全縣市已過派案時限、仍待篩派"),
            Tile("待送出統計報表", len(due), url_for("reports.index"), "alert" if any(d["late"] for d in due) else "warn",
                 "應向衛福部報送、尚未送出"),
        ]),
        ("全縣市個案逾期", _due_tiles(counts, county=True)),
    ]
    return WorkList("county", "全縣市逾期事項", groups, {"reports_due": due})


def _ministry(m: Membership, now) -> WorkList:
    today = now.astimezone(TAIPEI).date()
    awaiting, mine = meeting_queries.awaiting_updates(m.unit_id)
    items = [Tile("待各單位填報的列管事項", a.items, url_for("meetings.table", meeting_id=a.meeting.id), "warn",
                  f"{a.series.name}第 {a.meeting.number} 次會議：{a.units} 個單位項次未填辦理情形")
             for a in awaiting]
    items.append(Tile("本單位待填辦理情形", mine, url_for("meetings.mine"), "warn", "本單位主辦或協辦的列管事項"))
    missing = report_queries.counties_missing(today)
    reports = [Tile("未送齊季報的縣市", len(missing["missing"]),
                    url_for("reports.submissions", period=period_token(missing["period"])),
                    "alert" if missing["late"] else "warn",
                    f"{missing['period'].label}，{missing['counties']} 縣市中（僅統計數字）")]
    return WorkList("ministry", "中央待辦", [("會議列管事項", items), ("縣市報表", reports)], {"missing": missing})


def worklist(m: Membership) -> WorkList | None:
    now = utcnow()
    unit = m.unit
    if unit.is_partner_unit:
        return _partner(m, now)
    if unit.is_ministry_unit:
        return _ministry(m, now)
    if m.role == Role.COUNTY_ADMIN:
        return _county(m, now)
    if unit.kind == UnitKind.DISPATCH_CENTRE:
        return _dispatch(m, now)
    if unit.kind == UnitKind.INVESTIGATION_CENTRE:
        return _investigation(m, now)
    if m.role in (Role.SUPERVISOR, Role.UNIT_ADMIN):
        return _supervisor(m, now)
    if m.role == Role.SOCIAL_WORKER:
        return _worker(m, now)
    return None


@bp.get("/")
@signed_in
def home():
    membership = g.membership
    context = {}
    if membership is not None:
        context["work"] = worklist(membership)
        if not wants_fragment():
            context["colleagues"] = queries.colleagues(membership.unit.id)
    else:
        context["directory"] = queries.directory_counts()
    return render("dashboard/home.html", fragment="worklist", now=utcnow(), **context)
