"""The programme's versioned reference data as of a date: the service catalogue (with the strategy each
service belongs to), the target groups and the 福利身分別 offered. Nothing here is a hard-coded list: the
rows are tables seeded from ``data/*.json`` and kept in the reference admin.

A recorded service keeps the label and strategy of the catalogue version in force on its date (a 114年
service shows its phase-2 label under 社安網2.0); the forms offer what is in force on the day asked.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

import sqlalchemy as sa
from flask import g, has_app_context

from ..extensions import db
from .models import ServiceCatalogueItem, TargetGroup, WelfareStatus


def _rows(model, *order) -> list:
    """All rows of one reference table (a few dozen), read once per request: a page asks for them several times."""
    memo = g.setdefault("_programme_reference", {}) if has_app_context() else {}
    if model not in memo:
        memo[model] = list(db.session.scalars(sa.select(model).order_by(*order)))
    return memo[model]


def forget() -> None:
    """After the reference admin adds a version within the request."""
    if has_app_context():
        g.pop("_programme_reference", None)


def _services() -> list[ServiceCatalogueItem]:
    return _rows(ServiceCatalogueItem, ServiceCatalogueItem.effective_from, ServiceCatalogueItem.position, ServiceCatalogueItem.id)


def _groups() -> list[TargetGroup]:
    return _rows(TargetGroup, TargetGroup.effective_from, TargetGroup.id)


def _welfare() -> list[WelfareStatus]:
    return _rows(WelfareStatus, WelfareStatus.effective_from, WelfareStatus.id)


# --- The 2.0 strategies ------------------------------------------------------------------------------

CATALOGUE_FILE = Path(__file__).parent / "data" / "service_catalogue_2026-01-01.json"


@dataclass(frozen=True)
class Strategy:
    number: int
    label: str  # 「策略一 攜幼扶老」: what a service's ``strategy`` and a target measure's ``strategy`` say
    aims: str


@cache
def strategies() -> tuple[Strategy, ...]:
    """社安網2.0's six strategies (seed 003, 四、推動六大策略), as the catalogue's data file lists them: the one
    source of the names the catalogue's services and the target board's measures carry."""
    data = json.loads(CATALOGUE_FILE.read_text(encoding="utf-8"))
    listed = next(v["strategies"] for v in data["versions"] if v.get("strategies"))
    return tuple(Strategy(s["number"], s["label"], s["aims"]) for s in listed)


def strategy(number: int) -> str:
    """The label of 2.0 strategy ``number`` (1–6): ``strategy(2)`` is 「策略二 優化提升」."""
    found = next((s for s in strategies() if s.number == number), None)
    if found is None:
        raise KeyError(f"社安網2.0 has no strategy {number}")
    return found.label


# --- Services -----------------------------------------------------------------------------------------

def services_on(day: date) -> list[ServiceCatalogueItem]:
    return sorted((i for i in _services() if i.in_force(day)), key=lambda i: (i.position, i.id))


def service_on(code: str, day: date) -> ServiceCatalogueItem | None:
    return next((i for i in _services() if i.code == code and i.in_force(day)), None)


def service_versions(code: str) -> list[ServiceCatalogueItem]:
    return [i for i in _services() if i.code == code]


def service_choices(day: date) -> list[tuple[str, list[tuple[str, str]]]]:
    """The services in force on ``day``, grouped by strategy (optgroups of a select)."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for item in services_on(day):
        groups.setdefault(item.strategy, []).append((item.code, item.label))
    return list(groups.items())


@dataclass(frozen=True)
class ServiceLabel:
    label: str
    strategy: str
    version: str


class ServiceLabels:
    """Labels of recorded services, each by the catalogue version in force on its date (one query)."""

    def __init__(self, codes=()):
        codes = set(codes)
        self._by_code: dict[str, list[ServiceCatalogueItem]] = {}
        for row in (r for r in _services() if r.code in codes) if codes else ():
            self._by_code.setdefault(row.code, []).append(row)

    def of(self, code: str, day: date) -> ServiceLabel:
        versions = self._by_code.get(code, [])
        row = next((v for v in versions if v.in_force(day)), None)
        if row is None and versions:  # a date outside every version (old data): the nearest one before, else the first
            before = [v for v in versions if v.effective_from <= day]
            row = before[-1] if before else versions[0]
        if row is None:
            return ServiceLabel(code, "", "")
        return ServiceLabel(row.label, row.strategy, row.version)


def catalogue_versions() -> list[tuple[str, date, date | None, list[ServiceCatalogueItem]]]:
    """Every version of the catalogue, newest first, its items grouped in order (the reference page)."""
    rows = sorted(_services(), key=lambda i: (-i.effective_from.toordinal(), i.position))
    versions: dict[tuple, list[ServiceCatalogueItem]] = {}
    for row in rows:
        versions.setdefault((row.version, row.effective_from, row.effective_to), []).append(row)
    return [(v, f, t, items) for (v, f, t), items in versions.items()]


# --- Target groups --------------------------------------------------------------------------------------

TIER_ORDER = {"general": 0, "vulnerable": 1, "crisis": 2}


def groups_on(day: date) -> list[TargetGroup]:
    return sorted((x for x in _groups() if x.in_force(day)), key=lambda x: (TIER_ORDER.get(x.tier.value, 9), x.id))


def group_on(code: str, day: date) -> TargetGroup | None:
    return next((x for x in _groups() if x.code == code and x.in_force(day)), None)


def all_groups() -> list[TargetGroup]:
    return sorted(_groups(), key=lambda x: (-x.effective_from.toordinal(), x.id))


def group_labels() -> dict[str, str]:
    """Code -> label, the latest version's (a mark keeps its code; labels of groups are not renamed in place)."""
    return {g.code: g.label for g in reversed(all_groups())}


def group_choices(day: date) -> list[tuple[str, str]]:
    return [(g.code, f"{g.label}（{g.tier.label}）") for g in groups_on(day)]


# --- 福利身分別 -------------------------------------------------------------------------------------------

def welfare_on(day: date) -> list[WelfareStatus]:
    return [w for w in _welfare() if w.in_force(day)]


def welfare_choices(day: date, keep: set[str] | None = None) -> list[tuple[str, str]]:
    """The statuses offered on ``day``, plus those already recorded (``keep``) so an edit loses nothing."""
    offered = {w.code: w.label for w in welfare_on(day)}
    missing = (keep or set()) - set(offered)
    for w in _welfare():
        if w.code in missing:
            offered.setdefault(w.code, w.label)
    return sorted(offered.items(), key=lambda kv: int(kv[0]) if kv[0].isdigit() else 999)


def all_welfare() -> list[WelfareStatus]:
    return list(_welfare())
