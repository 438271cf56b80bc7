"""The measures of the target board, declared once each.

A measure says what it counts (numerator, denominator, the source of each, in
words printed on the board), the programme's target for each ROC year
115–119, and two functions the board calls inside one county's tenant scope:

``counts(county_id, start, end)`` -> ``(numerator, denominator)``
    ``start``/``end`` are dates, ``end`` inclusive. Figures are *as at the end
    of the period*: only what was recorded on or before ``end`` counts, so a
    period's figure does not move when something is recorded later. When the
    denominator lives outside the platform (``external_denominator``), the
    function returns ``None`` for it and the board uses what the county entered.

``gap(county_id, start, end)`` -> ``list[GapRow]``
    The families behind the gap (those in the denominator and not in the
    numerator), for the county's own users only; the ministry never calls it.

Measures are registered by the module that knows the records they count
(``app/targets/measures_*.py``); the board (``app/targets/views.py``) lists
``MEASURES`` in the order of ``board.ORDER`` (the issue's order), any other after them.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from ..cases import catalogue

YEARS = (115, 116, 117, 118, 119)


@dataclass(frozen=True)
class GapRow:
    case_id: int | None
    label: str  # what the county worker recognises: case number and family name, or a report number
    reason: str  # why it is in the gap, e.g. 「尚未提供育兒指導」
    url: str = ""  # where to act on it (filled by the area's url_for)


Counts = Callable[[int, date, date], tuple[int, int | None]]
Gap = Callable[[int, date, date], list[GapRow]]


@dataclass(frozen=True)
class Measure:
    code: str
    label: str
    strategy: str  # the 2.0 strategy it belongs to: a label of ``cases.catalogue.strategies()`` (checked on register)
    targets: dict[int, float]  # ROC year -> target percent; empty when the programme sets none
    numerator: str
    denominator: str
    source: str  # where numerator and denominator come from
    counts: Counts
    gap: Gap | None = None
    external_denominator: bool = False  # the county enters the denominator, with its source
    unit: str = "%"
    note: str = field(default="")

    def target(self, roc_year: int) -> float | None:
        return self.targets.get(roc_year)


MEASURES: dict[str, Measure] = {}


def register(measure: Measure) -> Measure:
    if measure.code in MEASURES:
        raise ValueError(f"measure {measure.code} registered twice")
    if measure.strategy not in {s.label for s in catalogue.strategies()}:
        raise ValueError(f"measure {measure.code}: 「{measure.strategy}」 is no 2.0 strategy of the catalogue")
    MEASURES[measure.code] = measure
    return measure
