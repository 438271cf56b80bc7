from __future__ import annotations

from wtforms import SelectField, TextAreaField

from ..core.forms import ActionForm, max_length, optional
from .models import PeriodKind, ReportKind
from .periods import Period, recent_periods


def period_token(period: Period) -> str:
    return f"{period.kind.value}:{period.start.isoformat()}:{period.end.isoformat()}"


def parse_period(token: str) -> Period:
    from datetime import date

    try:
        kind, start, end = token.split(":")
        period = Period(PeriodKind(kind), date.fromisoformat(start), date.fromisoformat(end))
    except (ValueError, KeyError):
        raise ValueError("請選擇報表期間。") from None
    expected = Period.of(period.kind, period.start.year,
                         period.start.month if period.kind == PeriodKind.MONTH else (period.start.month - 1) // 3 + 1)
    if expected != period:
        raise ValueError("報表期間不正確。")
    return period


def period_choices(today) -> list[tuple[str, str]]:
    out = []
    for kind in (PeriodKind.QUARTER, PeriodKind.MONTH, PeriodKind.YEAR):
        for period in recent_periods(kind, today, 6 if kind != PeriodKind.YEAR else 3):
            out.append((period_token(period), f"{kind.label}｜{period.label}" + ("（進行中）" if not period.is_over(today) else "")))
    return out


class RequestForm(ActionForm):
    PREFIX = "rq"
    kind = SelectField("報表", choices=ReportKind.choices(), validate_choice=True)
    period = SelectField("期間", validate_choice=True)
    correction_note = TextAreaField("更正原因（已送出後重新產製時必填）", validators=[optional(), max_length("更正原因", 1000)])


class OverviewForm(ActionForm):
    PREFIX = "ov"
    period = SelectField("期間", validate_choice=True)
