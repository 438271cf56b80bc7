"""The household picture as a block of another area's page: the screening page (intake) and the family
record (cases) call ``for_report`` / ``for_case`` and include ``household/_picture.html``. A bounded number
of queries whatever the household's size: the picture's (≤ 4), the stored flags (1) and the one audited
cross-county look-up (1)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from ..core import calendar
from . import queries, services
from .models import RiskSubject


@dataclass
class FactView:
    text: str
    source: str
    on: date | None


def facts_of(flag) -> list[FactView]:
    return [FactView(f["text"], queries.source_label(f.get("source") or ""),
                     date.fromisoformat(f["on"]) if f.get("on") else None) for f in flag.facts]


@dataclass
class Block:
    picture: queries.Picture
    flags: list
    elsewhere: list
    subject: str  # 通報 | 個案

    def facts(self, flag) -> list[FactView]:
        return facts_of(flag)

    @property
    def first_level(self) -> list:
        return [f for f in self.flags if f.level == 1]


def for_report(report) -> Block:
    on = calendar.today()
    pic = queries.picture_of_report(report, on)
    elsewhere = services.cases_elsewhere(pic.persons, report.tenant_id, record_type="reports", record_id=report.id)
    return Block(pic, queries.flags_of(RiskSubject.REPORT, report.id), elsewhere, "通報")


def for_case(case) -> Block:
    on = calendar.today()
    pic = queries.picture_of_case(case, on)
    elsewhere = services.cases_elsewhere(pic.persons, case.tenant_id, record_type="family_cases", record_id=case.id)
    return Block(pic, queries.flags_of(RiskSubject.CASE, case.id), elsewhere, "個案")
