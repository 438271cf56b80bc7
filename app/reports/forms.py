from __future__ import annotations

import re
from datetime import date

import sqlalchemy as sa
from wtforms import SelectField, StringField, TextAreaField

from ..campaigns.models import Campaign
from ..core import calendar
from ..core.filters import ROC_OFFSET
from ..core.forms import ActionForm, max_length, optional
from ..extensions import db
from .models import PeriodKind, ReportKind
from .periods import PER_YEAR, Period, recent_periods


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
    if Period.of(period.kind, period.start.year, period.number) != period:
        raise ValueError("報表期間不正確。")
    return period


def campaign_periods(count: int = 3) -> list[Period]:
    """The latest spring-festival campaigns' periods, newest first."""
    return [Period.of_campaign(c) for c in db.session.scalars(
        sa.select(Campaign).order_by(Campaign.holiday_start.desc()).limit(count))]


def period_choices(today) -> list[tuple[str, str]]:
    """The recent periods offered in one list (a shortcut beside the year-and-part picker)."""
    periods = [p for kind in (PeriodKind.QUARTER, PeriodKind.HALF, PeriodKind.MONTH, PeriodKind.YEAR)
               for p in recent_periods(kind, today, {PeriodKind.YEAR: 3, PeriodKind.HALF: 2}.get(kind, 6))]
    periods += campaign_periods()
    return [(period_token(p), f"{p.kind.label}｜{p.label}" + ("（進行中）" if not p.is_over(today) else ""))
            for p in periods]


# --- The picker: a ROC year typed, and the part of it (全年, 上/下半年, a quarter, a month) -----------------

PARTS: list[tuple[str, str, PeriodKind, int]] = (
    [("year", "全年（年報）", PeriodKind.YEAR, 1),
     ("h1", "上半年（1–6月）", PeriodKind.HALF, 1), ("h2", "下半年（7–12月）", PeriodKind.HALF, 2)]
    + [(f"q{q}", f"第{q}季（{3 * q - 2}–{3 * q}月）", PeriodKind.QUARTER, q) for q in range(1, 5)]
    + [(f"m{m}", f"{m}月（月報）", PeriodKind.MONTH, m) for m in range(1, 13)])
PART_CHOICES = [(code, label) for code, label, _, _ in PARTS]
_PART = {code: (kind, number) for code, _, kind, number in PARTS}
CUSTOM = ""  # the shortcut list's first entry: use the year and part typed below
CUSTOM_LABEL = "依下方年度與期別（任一已結束的年、半年、季、月）"


def part_of(period: Period) -> str:
    return next(code for code, (kind, number) in _PART.items() if kind == period.kind and number == period.number)


class PeriodInputError(ValueError):
    """A year or part that names no period a report can be made for; ``field`` is where to say it."""

    def __init__(self, message: str, field: str = "year"):
        super().__init__(message)
        self.message, self.field = message, field


def read_roc_year(text: str | None) -> int:
    """「108」, 「１０８」, 「民國108年」 → 108; a Western year (2019) is explained, never silently converted."""
    raw = (text or "").strip().translate({c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)})
    if not raw:
        raise PeriodInputError("請輸入年度（民國年，例如 108）。")
    digits = re.sub(r"^(民國)?\s*(\d+)\s*年?$", r"\2", raw)
    if not (digits.isascii() and digits.isdigit()):
        raise PeriodInputError(f"「{text.strip()}」不是年度；請輸入民國年的數字，例如 108。")
    year = int(digits)
    if year > ROC_OFFSET:
        raise PeriodInputError(f"「{year}」看來是西元年；本系統使用民國年，西元 {year} 年即民國 {year - ROC_OFFSET} 年，"
                               f"請輸入 {year - ROC_OFFSET}。")
    if year < 1:
        raise PeriodInputError("年度需為民國 1 年以後。")
    return year


def resolve_period(year_text: str | None, part: str | None, today: date) -> Period:
    """The finished period named by a ROC year and a part, or :class:`PeriodInputError` saying why not."""
    year = read_roc_year(year_text)
    if part not in _PART:
        raise PeriodInputError("請選擇期別（全年、上半年、下半年、季或月）。", "part")
    kind, number = _PART[part]
    period = Period.of_roc(kind, year, number)
    where = "year" if period.start.year > today.year else "part"
    if not period.has_started(today):
        raise PeriodInputError(f"{period.label}尚未開始（{period.span}），沒有可統計的資料；請選擇已結束的期間。", where)
    if not period.is_over(today):
        raise PeriodInputError(
            f"{period.label}尚未結束（至 {period.end_label}），期末數字尚未確定；請選擇已結束的期間"
            "（進行中的期間請由上方「期間」清單選擇，送出時需另行確認）。", where)
    return period


class _PeriodPicker:
    """The shared part of the county's request form and the ministry's overview form: the shortcut list
    (期間) or a ROC year with its part; :meth:`chosen_period` answers the period or puts the reason beside
    the field (whatever was typed stays on the page)."""

    def chosen_period(self, today: date | None = None) -> Period | None:
        today = today or calendar.today()
        if self.period.data:
            try:
                return parse_period(self.period.data)
            except ValueError as exc:
                self.period.errors = [*self.period.errors, str(exc)]
                return None
        try:
            return resolve_period(self.year.data, self.part.data, today)
        except PeriodInputError as exc:
            target = self.year if exc.field == "year" else self.part
            target.errors = [*target.errors, exc.message]
            return None

    def offer(self, today: date) -> None:
        self.period.choices = [(CUSTOM, CUSTOM_LABEL)] + period_choices(today)

    def show(self, period: Period, today: date) -> None:
        """Set the fields to name ``period``: a finished month, quarter, half or year by its year and part
        (the list left on 「依下方年度與期別」, so that typing another year is all it takes); a running
        period or a campaign by the list."""
        if period.kind in PER_YEAR and period.is_over(today):
            self.period.data, self.year.data, self.part.data = CUSTOM, str(period.roc_year), part_of(period)
        else:
            self.period.data = period_token(period)


class RequestForm(_PeriodPicker, ActionForm):
    PREFIX = "rq"
    kind = SelectField("報表", choices=ReportKind.choices(), validate_choice=True)
    period = SelectField("期間", validators=[optional()], validate_choice=True)
    year = StringField("年度（民國）", validators=[optional(), max_length("年度", 10)],
                       render_kw={"inputmode": "numeric", "placeholder": "例如 108", "autocomplete": "off"})
    part = SelectField("期別", choices=PART_CHOICES, default="year", validate_choice=True)
    correction_note = TextAreaField("更正原因（已送出後重新產製時必填）", validators=[optional(), max_length("更正原因", 1000)])


class OverviewForm(_PeriodPicker, ActionForm):
    PREFIX = "ov"
    period = SelectField("期間", validators=[optional()], validate_choice=True)
    year = StringField("年度（民國）", validators=[optional(), max_length("年度", 10)],
                       render_kw={"inputmode": "numeric", "placeholder": "例如 108", "autocomplete": "off"})
    part = SelectField("期別", choices=PART_CHOICES, default="year", validate_choice=True)
