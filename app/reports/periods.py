"""Reporting periods as officials name them: 115年10月, 115年第3季, 109年1–6月, 115年.

A :class:`Period` is general (reports and the target board both use it): any past
month, quarter, half-year or year, and a spring-festival campaign's own dates.
Its figures are those *at the end of the period* (:meth:`Period.as_of_note`):
what was recorded after the end does not change them."""
from __future__ import annotations

from calendar import monthrange
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from ..core.filters import ROC_OFFSET, TAIPEI
from .models import PeriodKind

#: How many numbered periods a year has, by kind (a year is one).
PER_YEAR = {PeriodKind.MONTH: 12, PeriodKind.QUARTER: 4, PeriodKind.HALF: 2, PeriodKind.YEAR: 1}
MONTHS_OF = {PeriodKind.MONTH: 1, PeriodKind.QUARTER: 3, PeriodKind.HALF: 6, PeriodKind.YEAR: 12}
WRONG_NUMBER = {PeriodKind.MONTH: "月份需為 1 到 12。", PeriodKind.QUARTER: "季別需為 1 到 4。",
                PeriodKind.HALF: "半年別需為 1（上半年）或 2（下半年）。", PeriodKind.YEAR: "年報不分期別。"}


@dataclass(frozen=True)
class Period:
    kind: PeriodKind
    start: date
    end: date  # inclusive

    @classmethod
    def of(cls, kind: PeriodKind, year: int, number: int = 1) -> "Period":
        """``year`` is Gregorian; ``number`` is the month (1–12), quarter (1–4) or half (1–2); a year's is 1."""
        if kind not in PER_YEAR:
            raise ValueError("此類期間不能依年度與期別指定。")
        if not 1 <= number <= PER_YEAR[kind]:
            raise ValueError(WRONG_NUMBER[kind])
        months = MONTHS_OF[kind]
        first = months * (number - 1) + 1
        last = first + months - 1
        return cls(kind, date(year, first, 1), date(year, last, monthrange(year, last)[1]))

    @classmethod
    def of_roc(cls, kind: PeriodKind, roc_year: int, number: int = 1) -> "Period":
        """The same, with the year as officials write it (民國 108 → 2019)."""
        return cls.of(kind, roc_year + ROC_OFFSET, number)

    @classmethod
    def of_campaign(cls, campaign) -> "Period":
        """A spring-festival campaign's own dates (two weeks before the holiday to one week after)."""
        return cls(PeriodKind.SPRING, campaign.starts_on, campaign.ends_on)

    @property
    def roc_year(self) -> int:
        return self.start.year - ROC_OFFSET

    @property
    def number(self) -> int:
        """The month, quarter or half within its year (1 for a year; 1 for a campaign)."""
        if self.kind not in MONTHS_OF:
            return 1
        return (self.start.month - 1) // MONTHS_OF[self.kind] + 1

    @property
    def label(self) -> str:
        roc = self.roc_year
        if self.kind == PeriodKind.SPRING:
            return f"{self.end.year - ROC_OFFSET}年春節關懷期間"
        if self.kind == PeriodKind.MONTH:
            return f"{roc}年{self.start.month}月"
        if self.kind == PeriodKind.QUARTER:
            return f"{roc}年第{self.number}季"
        if self.kind == PeriodKind.HALF:
            return f"{roc}年{self.start.month}–{self.end.month}月"  # 109年1–6月, as officials write it
        return f"{roc}年"

    @property
    def span(self) -> str:
        """民國115年7月1日至115年9月30日"""
        s, e = self.start, self.end
        return f"{s.year - ROC_OFFSET}年{s.month}月{s.day}日至{e.year - ROC_OFFSET}年{e.month}月{e.day}日"

    @property
    def end_label(self) -> str:
        """115年6月30日"""
        e = self.end
        return f"{e.year - ROC_OFFSET}年{e.month}月{e.day}日"

    def bounds(self) -> tuple[datetime, datetime]:
        """[start, end) as aware datetimes: midnight Taipei time, the day after the end."""
        return (datetime.combine(self.start, time(), TAIPEI),
                datetime.combine(self.end + timedelta(days=1), time(), TAIPEI))

    @property
    def as_of(self) -> datetime:
        """The moment the period's figures are taken at: the end of its last day (exclusive bound)."""
        return self.bounds()[1]

    def as_of_note(self) -> str:
        """The rule every report states: figures as at the end of the period."""
        return (f"本表數字為期末（{self.end_label}）狀態：期末後登錄之結果不計入本期"
                "（評估結果、訪視、開結案、轉介回覆、爭議處理等），日後重新產製亦同。")

    def is_over(self, today: date) -> bool:
        return today > self.end

    def has_started(self, today: date) -> bool:
        return today >= self.start

    def previous(self) -> "Period":
        """The period of the same kind just before this one."""
        if self.kind not in PER_YEAR:
            raise ValueError("此類期間沒有前一期。")
        year, number = self.start.year, self.number - 1
        if number < 1:
            year, number = year - 1, PER_YEAR[self.kind]
        return Period.of(self.kind, year, number)


def current_period(kind: PeriodKind, today: date) -> Period:
    months = MONTHS_OF[kind]
    return Period.of(kind, today.year, (today.month - 1) // months + 1)


def recent_periods(kind: PeriodKind, today: date, count: int = 8) -> list[Period]:
    """The current period first, then the finished ones before it (years: at most five)."""
    if kind == PeriodKind.YEAR:
        count = min(count, 5)
    out = [current_period(kind, today)]
    while len(out) < count:
        out.append(out[-1].previous())
    return out
