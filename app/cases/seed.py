"""National reference data of the family case: the vulnerability-factor table and TIPVDA."""
from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import sqlalchemy as sa

from ..extensions import db
from ..intake.reference import VulnerabilityDimension
from .models import RiskFactor, RiskFactorTable, TipvdaVersion
from .reference import Level

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
