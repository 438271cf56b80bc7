"""Reporting periods as officials name them: 115年10月, 115年第3季, 115年."""
from __future__ import annotations

from calendar import monthrange
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from ..core.filters import ROC_OFFSET, TAIPEI
from .models import PeriodKind


@dataclass(frozen=True)
class Period:
    kind: PeriodKind
    start: date
    end: date  # inclusive

    @classmethod
    def of(cls, kind: PeriodKind, year: int, number: int = 1) -> "Period":
        """``year`` is Gregorian; ``number`` is the month (1–12) or quarter (1–4)."""
        if kind == PeriodKind.MONTH:
            if not 1 <= number <= 12:
                raise ValueError("月份需為 1 到 12。")
            return cls(kind, date(year, number, 1), date(year, number, monthrange(year, number)[1]))
        if kind == PeriodKind.QUARTER:
            if not 1 <= number <= 4:
                raise ValueError("季別需為 1 到 4。")
            first = 3 * (number - 1) + 1
            return cls(kind, date(year, first, 1), date(year, first + 2, monthrange(year, first + 2)[1]))
        return cls(kind, date(year, 1, 1), date(year, 12, 31))

    @classmethod
    def of_campaign(cls, campaign) -> "Period":
        """A spring-festival campaign's own dates (two weeks before the holiday to one week after)."""
        return cls(PeriodKind.SPRING, campaign.starts_on, campaign.ends_on)

    @property
    def label(self) -> str:
        roc = self.start.year - ROC_OFFSET
        if self.kind == PeriodKind.SPRING:
            return f"{self.end.year - ROC_OFFSET}年春節關懷期間"
        if self.kind == PeriodKind.MONTH:
            return f"{roc}年{self.start.month}月"
        if self.kind == PeriodKind.QUARTER:
            return f"{roc}年第{(self.start.month - 1) // 3 + 1}季"
        return f"{roc}年"

    @property
    def span(self) -> str:
        """民國115年7月1日至115年9月30日"""
        s, e = self.start, self.end
        return f"{s.year - ROC_OFFSET}年{s.month}月{s.day}日至{e.year - ROC_OFFSET}年{e.month}月{e.day}日"

    def bounds(self) -> tuple[datetime, datetime]:
        """[start, end) as aware datetimes: midnight Taipei time, the day after the end."""
        return (datetime.combine(self.start, time(), TAIPEI),
                datetime.combine(self.end + timedelta(days=1), time(), TAIPEI))

    def is_over(self, today: date) -> bool:
        return today > self.end


def recent_periods(kind: PeriodKind, today: date, count: int = 8) -> list[Period]:
    """The latest finished periods first, then the current one."""
    out = []
    if kind == PeriodKind.MONTH:
        y, m = today.year, today.month
        for _ in range(count):
            out.append(Period.of(kind, y, m))
            y, m = (y, m - 1) if m > 1 else (y - 1, 12)
    elif kind == PeriodKind.QUARTER:
        y, q = today.year, (today.month - 1) // 3 + 1
        for _ in range(count):
            out.append(Period.of(kind, y, q))
            y, q = (y, q - 1) if q > 1 else (y - 1, 4)
    else:
        out = [Period.of(kind, today.year - i) for i in range(min(count, 5))]
    return out
