"""兒少通報案經調查處理中心派案服務提供率 (社安網2.0 strategy 2, target 95 %), counted from the
通報調查處理中心's investigations (``app/investigations``)."""
from __future__ import annotations

from datetime import date

from flask import url_for

from ..cases import catalogue
from ..core.navigation import can_open
from ..investigations import queries
from .registry import GapRow, Measure, register

NUMERATOR = ("期間內調查完成且有服務需求的兒少保護通報中，於期間結束前已由通報調查處理中心派案至服務單位"
             "（家防中心、社福中心）並已開案者（含派案時同時轉介民間團體者：案家仍由該縣市單位主責開案）")
DENOMINATOR = "期間內（以調查完成日、臺北時間為準）通報調查處理中心調查完成且認定有服務需求的兒少保護通報"


def counts(county_id: int, start: date, end: date) -> tuple[int, int]:
    figure = queries.dispatch_figure(start, end)
    return len(figure.dispatched), len(figure.dispatched) + len(figure.not_dispatched)


def gap(county_id: int, start: date, end: date) -> list[GapRow]:
    return [GapRow(case_id=None, label=f"通報 {inv.report.report_no}（{inv.family_name}）",
                   reason="調查完成、有服務需求，期間結束時尚未派案服務",
                   # the county's administrator sees the list; only the centre's staff open the investigation
                   url=url_for("investigations.detail", investigation_id=inv.id)
                   if can_open("investigations.detail") else "")
            for inv in queries.dispatch_figure(start, end).not_dispatched]


INVESTIGATION_DISPATCH = register(Measure(
    code="investigation_dispatch",
    label="兒少通報案經調查處理中心派案服務提供率",
    strategy=catalogue.strategy(2),  # 策略二 優化提升: 優化社安網通報機制
    # 社安網2.0: 通報調查處理中心 116年起, 95 %; 115年 has no target (a county that started earlier, e.g. a
    # pilot, still gets its figure, drawn with no target line).
    targets={116: 95.0, 117: 95.0, 118: 95.0, 119: 95.0},
    numerator=NUMERATOR,
    denominator=DENOMINATOR,
    source="本平台通報調查處理中心調查紀錄（調查完成日、服務需求認定、派案服務日與受案單位個案）；"
           "數字以期間結束時的紀錄為準，期間結束後才補登的派案不改變該期數字。",
    counts=counts,
    gap=gap,
    note="分母為零（本縣市該期間尚無調查完成且有服務需求者，或尚未啟用通報調查處理中心）時不計比率。",
))
