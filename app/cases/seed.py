"""National reference data of the family case: the vulnerability-factor table, TIPVDA, the programme's
service catalogue, target groups and 福利身分別 (versioned by effective date)."""
from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import sqlalchemy as sa

from ..extensions import db
from ..intake.reference import VulnerabilityDimension
from .models import RiskFactor, RiskFactorTable, ServiceCatalogueItem, TargetGroup, TipvdaVersion, WelfareStatus
from .reference import FamilyTier, Level

DATA = Path(__file__).parent / "data"


def seed_case_reference() -> dict:
    factors = json.loads((DATA / "risk_factors_2025-07-01.json").read_text(encoding="utf-8"))
    if db.session.scalars(sa.select(RiskFactorTable.id).where(RiskFactorTable.version == factors["version"])).first() is None:
        table = RiskFactorTable(version=factors["version"], effective_from=date.fromisoformat(factors["effective_from"]),
                                note=factors["note"])
        for position, (dimension, level, text) in enumerate(factors["factors"]):
            table.factors.append(RiskFactor(position=position, dimension=VulnerabilityDimension(dimension),
                                            level=Level(level), text=text))
        db.session.add(table)
    tipvda = json.loads((Path(__file__).parent.parent / "intake" / "data" / "tipvda.json").read_text(encoding="utf-8"))
    if db.session.scalars(sa.select(TipvdaVersion.id).where(TipvdaVersion.version == tipvda["version"])).first() is None:
        db.session.add(TipvdaVersion(version=tipvda["version"], effective_from=date.fromisoformat(tipvda["effective_from"]),
                                     items=tipvda["items"], notice_from=6, high_from=8, note=tipvda["note"]))
    db.session.flush()
    return {"factor_tables": db.session.scalar(sa.select(sa.func.count(RiskFactorTable.id))),
            "tipvda_versions": db.session.scalar(sa.select(sa.func.count(TipvdaVersion.id)))}


def seed_programme_reference() -> dict:
    """The service catalogue (phase 2 and 2.0), the target groups and the 福利身分別 offered, by date."""
    catalogue = json.loads((DATA / "service_catalogue_2026-01-01.json").read_text(encoding="utf-8"))
    position = 0
    for version in catalogue["versions"]:
        start = date.fromisoformat(version["effective_from"])
        end = date.fromisoformat(version["effective_to"]) if version["effective_to"] else None
        have = set(db.session.scalars(sa.select(ServiceCatalogueItem.code)
                                      .where(ServiceCatalogueItem.effective_from == start)))
        for item in version["items"]:
            position += 1
            if item["code"] in have:
                continue
            db.session.add(ServiceCatalogueItem(version=version["version"], code=item["code"], label=item["label"],
                                                section=item["section"], strategy=item["strategy"],
                                                has_amount=item["has_amount"], group_code=item["group"],
                                                position=position, effective_from=start, effective_to=end))
    groups = json.loads((DATA / "target_groups_2026-01-01.json").read_text(encoding="utf-8"))
    for group in groups["groups"]:
        start = date.fromisoformat(group["effective_from"])
        if db.session.scalars(sa.select(TargetGroup.id).where(TargetGroup.code == group["code"],
                                                              TargetGroup.effective_from == start)).first() is None:
            db.session.add(TargetGroup(code=group["code"], label=group["label"], tier=FamilyTier(group["tier"]),
                                       welfare_code=group["welfare_code"], effective_from=start,
                                       effective_to=date.fromisoformat(group["effective_to"]) if group["effective_to"] else None))
    for status in groups["welfare"]:
        start = date.fromisoformat(status["effective_from"])
        if db.session.scalars(sa.select(WelfareStatus.id).where(WelfareStatus.code == status["code"],
                                                                WelfareStatus.effective_from == start)).first() is None:
            db.session.add(WelfareStatus(code=status["code"], label=status["label"], effective_from=start,
                                         effective_to=date.fromisoformat(status["effective_to"]) if status["effective_to"] else None))
    db.session.flush()
    return {"service_catalogue_items": db.session.scalar(sa.select(sa.func.count(ServiceCatalogueItem.id))),
            "target_groups": db.session.scalar(sa.select(sa.func.count(TargetGroup.id)))}
