"""Demo meetings (development only): the ministry's progress meeting with the
real items of its 34th meeting (seed 004: 12 items with their 案號, units and
both progress columns), and a Taipei 高危機網絡會議 with an item about a family."""
from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import sqlalchemy as sa

from ..core import calendar
from ..accounts.models import User
from ..cases.models import FamilyCase
from ..core import tenancy
from ..extensions import db
from ..tenants.models import MINISTRY_UNIT_KINDS, County, Unit
from . import services
from .models import ActionItem, ItemNumber, Meeting, MeetingSeries, Recommendation, SeriesKind

SEED_34 = Path(__file__).with_name("data") / "progress_34.json"


def load_progress_34() -> dict:
    return json.loads(SEED_34.read_text(encoding="utf-8"))


def ministry_units_by_short_name() -> dict[str, Unit]:
    units = db.session.scalars(sa.select(Unit).where(Unit.kind.in_(MINISTRY_UNIT_KINDS))).all()
    return {u.display_short: u for u in units}


def import_progress_34(series: MeetingSeries | None = None, *, finalise: bool = True) -> MeetingSeries:
    """The seed's progress meeting: meetings 1 … 35, the 12 items of the 34th meeting's tracking
    table with the 33rd meeting's entries as 前次 and the 34th's as 更新, the chair's 1080605
    instructions, and the decision 繼續追蹤 on each (the seed's V column); the seed's 附件2 as printed:
    資訊處's part of 1080315-1 released (「本案資訊處解除列管，其他司署繼續列管」), 「報告完後即可解除列管」
    under 列管建議 of 1080125-2, the 製表日期, the 附件 label and the 註 line."""
    data = load_progress_34()
    units = ministry_units_by_short_name()
    if series is None:
        secretariat = next(u for u in units.values() if u.name == data["secretariat"])
        series = MeetingSeries(kind=SeriesKind.PROGRESS, name=data["series"], secretariat_unit_id=secretariat.id)
        db.session.add(series)
        db.session.flush()
    meetings: dict[int, Meeting] = {}
    for m in data["meetings"]:
        fields = {k: v for k, v in m.items() if k not in ("number", "held_on", "table_date")}
        if m.get("table_date"):  # the seed prints 「2018/6/4」, a slip of the calendar: the day before the meeting
            fields["table_date"] = date.fromisoformat(m["table_date"])
        if not fields:
            fields["previous_minutes"] = "（歷次會議：僅匯入其列管事項）"
        meetings[m["number"]] = services.new_meeting(series, date.fromisoformat(m["held_on"]), number=m["number"], **fields)
    previous, current = meetings[data["previous"]], meetings[data["current"]]
    for spec in data["items"]:
        item = services.add_item(meetings[spec["raised"]], section=3, title=spec["title"], instruction=spec["instruction"],
                                 lead_unit_ids=[units[u].id for u in spec["lead"]],
                                 assist_unit_ids=[units[u].id for u in spec["assist"]],
                                 number=spec["numbers"][0], origin=spec["origin"])
        for extra in spec["numbers"][1:]:
            item.numbers.append(ItemNumber(number=extra, series_id=series.id, county_id=None))
        close = set(spec.get("propose_close", []))
        for meeting, texts in ((previous, spec["previous"]), (current, spec["current"])):
            for short, text in texts.items():
                services.write_progress(item, meeting, units[short].id, text,
                                        Recommendation.CLOSE if short in close and meeting is current
                                        else Recommendation.CONTINUE)
        if spec["chair"]:
            services.instruct(item, current, "\n".join(spec["chair"]))
        services.decide(item, current, Recommendation.CONTINUE)
        if spec.get("release"):  # 「本案資訊處解除列管，其他司署繼續列管」: one unit's part released, the sentence generated
            services.release_parts(item, current, [units[u].id for u in spec["release"]],
                                   reason="；".join(p for p in spec["chair"] if "解除列管" in p))
        if spec.get("remark"):  # free text under 列管建議 instead of the V
            services.set_note(item, current, spec["remark"])
    db.session.flush()
    if finalise:
        for number, meeting in meetings.items():
            if number <= data["current"]:
                services.finalise(meeting)
    return series


def _taipei_high_risk() -> int:
    taipei = db.session.scalars(sa.select(County).where(County.name == "臺北市")).one()
    with tenancy.tenant_scope(taipei.id):
        admin = db.session.scalars(sa.select(User).where(User.username == "tpe.admin")).one()
        dv = db.session.scalars(sa.select(Unit).where(Unit.name == "臺北市家庭暴力暨性侵害防治中心")).one()
        centre = db.session.scalars(sa.select(Unit).where(Unit.name == "臺北市中正社會福利服務中心")).one()
        health = db.session.scalars(sa.select(Unit).where(Unit.name == "臺北市政府衛生局社區心理衛生中心")).one()
        series = services.create_series(SeriesKind.HIGH_RISK, "臺北市高危機網絡會議", admin.memberships[0], dv.id)
        today = calendar.today()
        first = services.new_meeting(series, today - timedelta(days=30), starts_at="下午 2 時", place="家防中心會議室",
                                     chair="家防中心主任", attendees="家防中心、中正社福中心、衛生局、警察局中正一分局")
        family = db.session.scalars(sa.select(FamilyCase).where(FamilyCase.family_name == "邱○○家")).first()
        item = services.add_item(first, section=4, title="邱○○家：案母就業與兒少照顧安排",
                                 instruction="請中正社福中心協助案母就業轉介，並與衛生局確認案母情緒狀況之追蹤。",
                                 lead_unit_ids=[centre.id], assist_unit_ids=[health.id],
                                 due_on=today + timedelta(days=30), case_id=family.id if family else None)
        services.write_progress(item, first, centre.id, "已轉介就業服務站，案母本週完成求職登記。", Recommendation.CONTINUE)
        services.decide(item, first, Recommendation.CONTINUE)
        services.finalise(first)
        services.new_meeting(series, today + timedelta(days=5), starts_at="下午 2 時", place="家防中心會議室",
                             chair="家防中心主任")
        return 1


def seed_demo_meetings() -> int:
    """Returns how many series were made (0 when the demo meetings exist already)."""
    with tenancy.all_tenants("seed: look for demo meetings"):
        if db.session.scalars(sa.select(ActionItem.id)).first():
            return 0
    import_progress_34()
    return 1 + _taipei_high_risk()
