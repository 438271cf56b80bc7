from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from wtforms import SelectField, TextAreaField

from ..campaigns.models import Campaign
from ..core.forms import ActionForm, max_length, optional
from ..extensions import db
from .models import PeriodKind, ReportKind
from .periods import Period, recent_periods


def period_token(period: Period) -> str:
    return f"{period.kind.value}:{period.start.isoformat()}:{period.end.isoformat()}"


def parse_period(token: str) -> Period:
    try:
        kind, start, end = token.split(":")
        period = Period(PeriodKind(kind), date.fromisoformat(start), date.fromisoformat(end))
    except (ValueError, KeyError):
        raise ValueError("請選擇報表期間。") from None
    if period.kind == PeriodKind.SPRING:
        if period not in campaign_periods():
            raise ValueError("找不到這段春節關懷期間。")
        return period
    expected = Period.of(period.kind, period.start.year,
                         period.start.month if period.kind == PeriodKind.MONTH else (period.start.month - 1) // 3 + 1)
    if expected != period:
        raise ValueError("報表期間不正確。")
    return period


def campaign_periods(count: int = 3) -> list[Period]:
    """The latest spring-festival campaigns' periods, newest first."""
    return [Period.of_campaign(c) for c in db.session.scalars(
        sa.select(Campaign).order_by(Campaign.holiday_start.desc()).limit(count))]


def period_choices(today) -> list[tuple[str, str]]:
    periods = [p for kind in (PeriodKind.QUARTER, PeriodKind.MONTH, PeriodKind.YEAR)
               for p in recent_periods(kind, today, 6 if kind != PeriodKind.YEAR else 3)] + campaign_periods()
    return [(period_token(p), f"{p.kind.label}｜{p.label}" + ("（進行中）" if not p.is_over(today) else ""))
            for p in periods]


class RequestForm(ActionForm):
    PREFIX = "rq"
    kind = SelectField("報表", choices=ReportKind.choices(), validate_choice=True)
    period = SelectField("期間", validate_choice=True)
    correction_note = TextAreaField("更正原因（已送出後重新產製時必填）", validators=[optional(), max_length("更正原因", 1000)])


class OverviewForm(ActionForm):
    PREFIX = "ov"
    period = SelectField("期間", validate_choice=True)
