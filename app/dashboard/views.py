from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, g

from ..accounts.models import Membership, User
from ..core.permissions import signed_in
from ..core.rendering import render
from ..extensions import db
from ..tenants.models import County, PartnerOrganisation, Unit, UnitKind

bp = Blueprint("dashboard", __name__)


@bp.get("/")
@signed_in
def home():
    membership = g.membership
    context = {}
    if membership is not None:
        unit = membership.unit
        context["colleagues"] = db.session.execute(
            sa.select(User.display_name, Membership.role)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.unit_id == unit.id, User.active.is_(True))
            .order_by(Membership.role, User.display_name)
        ).all()
        if unit.is_county_unit:
            context["county_units"] = db.session.scalars(
                sa.select(Unit)
                .where(Unit.county_id == unit.county_id, Unit.is_active.is_(True),
                       Unit.kind.in_([UnitKind.DISPATCH_CENTRE, UnitKind.DV_CENTRE, UnitKind.WELFARE_CENTRE,
                                      UnitKind.MENTAL_HEALTH]))
                .order_by(Unit.kind, Unit.id)
            ).all()
    else:
        context["directory"] = {
            "counties": db.session.scalar(sa.select(sa.func.count()).select_from(County)),
            "units": db.session.scalar(sa.select(sa.func.count()).select_from(Unit)),
            "partners": db.session.scalar(sa.select(sa.func.count()).select_from(PartnerOrganisation)),
            "users": db.session.scalar(sa.select(sa.func.count()).select_from(User)),
        }
    return render("dashboard/home.html", **context)
