"""Demo data of the target board, for `flask seed-demo` (development only): 臺北市's denominators for 115年
that live outside the platform, with their sources, scaled to the demo's families (5 new parents marked, 3
elders living alone) so that the board shows plausible 育兒指導 and 獨居老人 rates; then the nightly snapshot,
so that the board opens with its 資料時點 as it would the morning after."""
from __future__ import annotations

import sqlalchemy as sa

from ..accounts.models import User
from ..core import tenancy
from ..extensions import db
from ..tenants.models import County
from . import services
from .models import TargetDenominator
from .snapshot import run_snapshot

# measure, value, source (臺北市's real 115年 figures are of the order of 14,000 births; the demo holds a
# handful of families, so the demo's denominators are of the demo's size)
DENOMINATORS = (
    ("parenting_guidance", 6, "戶政司出生登記（115年）"),
    ("elder_alone_reach", 3, "本市獨居老人名冊（115年6月）"),
)
DEMO_YEAR = 115


def seed_demo_targets() -> int:
    """Enter 臺北市's denominators (as its administrator) if not there, and compute the snapshot of every
    county; answers how many snapshot rows were computed. The caller commits the denominators; each
    county's snapshot commits itself."""
    taipei = db.session.scalars(sa.select(County).where(County.name == "臺北市")).one()
    admin = db.session.scalars(sa.select(User).where(User.username == "tpe.admin")).one()
    with tenancy.tenant_scope(taipei.id):
        have = set(db.session.scalars(sa.select(TargetDenominator.measure_code).where(
            TargetDenominator.tenant_id == taipei.id, TargetDenominator.roc_year == DEMO_YEAR)))
        for code, value, source in DENOMINATORS:
            if code not in have:
                services.save_denominator(taipei.id, admin, code, DEMO_YEAR, value, source)
    db.session.commit()
    county_ids = list(db.session.scalars(sa.select(County.id).order_by(County.id)))
    return run_snapshot(county_ids)
