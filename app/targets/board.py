"""The board's figures, computed from the records at request time (the as-of time is the moment
of the request, shown on the page).

A county's cell is its own exact counts; the national cell is the sum of the counties' counts
(a rate of sums, never an average of rates). What the ministry sees goes through the reports'
disclosure rule (:func:`ministry_tables`, a :class:`~app.reports.disclosure.Sheet` per measure
and year); the ministry never gets a gap list.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

import sqlalchemy as sa
from flask import g

from ..core import tenancy
from ..extensions import db
from ..reports import disclosure
from ..reports.disclosure import Sheet
from ..reports.models import PeriodKind
from ..reports.periods import Period
from ..reports.queries import rate as percent
from ..tenants.models import County
# The measure modules register their measures when imported: listed here, the board shows them all.
from . import measures_programme, measures_groups, measures_investigation  # noqa: F401
from .models import TargetDenominator
from .registry import MEASURES, YEARS, Measure
from .snapshot import snapshot_rows

ROC_OFFSET = 1911
NATIONAL = "全國"
NO_DENOMINATOR = "尚未填報分母"


def year_period(roc_year: int) -> Period:
    return Period.of(PeriodKind.YEAR, roc_year + ROC_OFFSET)


def roc_year_of(period: Period) -> int:
    return period.start.year - ROC_OFFSET


# The board's order: the programme's measures as issue 20 lists them, then the figures the product
# already reported (a measure not named here follows, in registration order).
ORDER = ("investigation_dispatch", "child_protection_coverage", "parenting_guidance", "elder_alone_reach",
         "image_removal", "opening_rate", "referral_rate", "vulnerability_change")


def measures() -> list[Measure]:
    rank = {code: i for i, code in enumerate(ORDER)}
    return sorted(MEASURES.values(), key=lambda m: rank.get(m.code, len(ORDER)))


def measure_or_none(code: str) -> Measure | None:
    return MEASURES.get(code)


@dataclass
class Cell:
    """One measure, one period, one county (or the nation)."""
    measure: Measure
    period: Period
    started: bool = True
    numerator: int | None = None
    denominator: int | None = None
    source: str = ""  # the entered denominator's source (external denominators)
    missing: list[str] = field(default_factory=list)  # counties that have not entered the denominator
    computed_at: datetime | None = None  # the snapshot's moment; None when counted at request time

    @property
    def roc_year(self) -> int:
        return roc_year_of(self.period)

    @property
    def no_denominator(self) -> bool:
        return self.started and self.measure.external_denominator and self.denominator is None

    @property
    def rate(self) -> float | None:
        if self.numerator is None or self.denominator is None:
            return None
        return percent(self.numerator, self.denominator)

    @property
    def target(self) -> float | None:
        return self.measure.target(self.roc_year)

    @property
    def met(self) -> bool | None:
        if self.rate is None or self.target is None:
            return None
        return self.rate >= self.target

    @property
    def gap(self) -> int | None:
        if self.numerator is None or self.denominator is None:
            return None
        return max(self.denominator - self.numerator, 0)


def board_periods(today: date) -> list[Period]:
    """The programme's years, 115–119."""
    return [year_period(y) for y in YEARS]


def _denominators(county_ids: list[int]) -> dict[tuple[int, str, int], TargetDenominator]:
    if not any(m.external_denominator for m in measures()):
        return {}
    with tenancy.all_tenants("target board: the denominators the counties entered (counts only)"):
        rows = db.session.scalars(sa.select(TargetDenominator).where(TargetDenominator.tenant_id.in_(county_ids))).all()
    return {(r.tenant_id, r.measure_code, r.roc_year): r for r in rows}


def _county_cells(county_id: int, periods: list[Period], today: date, entered: dict, stored: dict) -> dict[str, list[Cell]]:
    out: dict[str, list[Cell]] = {}
    with tenancy.tenant_scope(county_id):
        for m in measures():
            row = out.setdefault(m.code, [])
            for p in periods:
                cell = Cell(m, p, started=p.start <= today)
                if cell.started:
                    snap = stored.get((county_id, m.code, p.start, p.end))
                    if snap is not None:
                        numerator, denominator, cell.computed_at = snap.numerator, snap.denominator, snap.computed_at
                    else:  # no snapshot of this period: counted now
                        numerator, denominator = m.counts(county_id, p.start, p.end)
                    cell.numerator = numerator
                    if m.external_denominator:
                        given = entered.get((county_id, m.code, roc_year_of(p)))
                        if given is not None:
                            cell.denominator, cell.source = given.value, given.source
                    else:
                        cell.denominator = denominator
                row.append(cell)
    return out


def counties() -> list[County]:
    return list(db.session.scalars(sa.select(County).order_by(County.id)))


@dataclass
class Board:
    periods: list[Period]
    by_county: dict[int, dict[str, list[Cell]]]  # county id -> measure code -> cells (one per period)
    national: dict[str, list[Cell]]
    names: dict[int, str]

    def _cells(self, county_id: int | None = None):
        return [c for cid, cells in self.by_county.items() if county_id is None or cid == county_id
                for row in cells.values() for c in row if c.started]

    def as_of(self, county_id: int | None = None) -> datetime | None:
        """The snapshot's moment the figures rest on (the oldest, when counties' differ), of one county or of
        all (the national sums); None if no snapshot was read."""
        moments = [c.computed_at for c in self._cells(county_id) if c.computed_at is not None]
        return min(moments) if moments else None

    @property
    def live_periods(self) -> list[Period]:
        """The periods (some county's) counted at request time, for want of a snapshot."""
        live = {c.period for c in self._cells() if c.computed_at is None}
        return [p for p in self.periods if p in live]


def compute(today: date, periods: list[Period] | None = None, only: int | None = None,
            snapshot: bool = True) -> Board:
    """Every county's cells (or ``only`` one county's, without the national line) and the national sums;
    from the nightly snapshot where it holds the period (``snapshot=False``: all counted now)."""
    periods = periods or board_periods(today)
    g.targets_cache = {}  # what two measures share is read once (app/targets/measures_programme.py)
    try:
        return _compute(today, periods, only, snapshot)
    finally:
        g.pop("targets_cache", None)


def _compute(today: date, periods: list[Period], only: int | None, snapshot: bool) -> Board:
    everyone = counties()
    chosen = [c for c in everyone if only is None or c.id == only]
    entered = _denominators([c.id for c in chosen])
    stored = snapshot_rows([c.id for c in chosen], [p for p in periods if p.start <= today]) if snapshot else {}
    by_county = {c.id: _county_cells(c.id, periods, today, entered, stored) for c in chosen}
    names = {c.id: c.name for c in chosen}
    national = {} if only is not None else _national(by_county, names, periods, today)
    return Board(periods, by_county, national, names)


def _national(by_county, names, periods, today) -> dict[str, list[Cell]]:
    """The sum of the counties' counts. For a denominator the counties enter, only the counties that
    entered it count (numerator and denominator alike), and the others are named."""
    out = {}
    for m in measures():
        row = []
        for i, p in enumerate(periods):
            cell = Cell(m, p, started=p.start <= today)
            if cell.started:
                county_cells = [(cid, cells[m.code][i]) for cid, cells in by_county.items()]
                filed = [c for _, c in county_cells if c.denominator is not None]
                cell.missing = [names[cid] for cid, c in county_cells if c.denominator is None] if m.external_denominator else []
                cell.numerator = sum(c.numerator or 0 for c in (filed if m.external_denominator else [c for _, c in county_cells]))
                cell.denominator = sum(c.denominator for c in filed) if filed or not m.external_denominator else None
            row.append(cell)
        out[m.code] = row
    return out


# --- What the ministry (and the national line) may show: the disclosure rule -------------------

@dataclass(frozen=True)
class Published:
    """One line of a published table: counts or the mark, the rate's text or the mark."""
    name: str
    numerator: object
    denominator: object
    rate: object  # "85.00%", "—" or the mark
    value: float | None  # the rate to draw (None when hidden or not computable)
    target: float | None
    met: object  # True / False / None / the mark
    note: str = ""


def published(measure: Measure, period: Period, lines: list[tuple[str, Cell]], national: Cell) -> list[Published]:
    """The lines (a county's each, then the nation) through :meth:`Sheet.publish`: 1–2 masked, the
    complementary cells too, and a rate hidden when a count it rests on is."""
    s = Sheet()
    rows = []
    counted = [(name, c) for name, c in lines + [(NATIONAL, national)] if c.started and c.numerator is not None
               and c.denominator is not None]
    for name, c in counted:
        num, den = s.cell((name, "num"), c.numerator), s.cell((name, "den"), c.denominator)
        rows.append([name, num, den, disclosure.rate(c.numerator, c.denominator, (num, den))])
    national_counted = any(name == NATIONAL for name, _ in counted)
    county_names = [name for name, _ in counted if name != NATIONAL]
    if national_counted:  # the nation is the sum of the counted counties (for an entered denominator, those that entered it)
        for part in ("num", "den"):
            s.sum([(n, part) for n in county_names], (NATIONAL, part))
    s.table(measure.label, ["", "num", "den", "rate"], rows)
    out_rows = {row[0]: row for row in s.publish()[0][2]} if rows else {}
    target = measure.targets.get(roc_year_of(period))
    result = []
    for name, c in lines + [(NATIONAL, national)]:
        if name in out_rows:
            _, num, den, shown = out_rows[name]
            hidden = shown == disclosure.MARK
            value = None if hidden else c.rate
            met = disclosure.MARK if hidden else (None if value is None or target is None else value >= target)
            result.append(Published(name, num, den, shown, value, target, met))
        else:
            note = "尚未開始" if not c.started else (NO_DENOMINATOR if c.denominator is None else "")
            result.append(Published(name, "—", "—", "—", None, target, None, note))
    return result
