"""A unit's inbox of family cases and the case page (step 3 grows both)."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, g, request

from ..accounts.models import Role
from ..audit import services as audit
from ..audit.models import AuditAction
from ..core.permissions import requires
from ..core.rendering import render
from ..extensions import db
from ..intake.models import Report
from ..tenants.models import UnitKind
from . import services

bp = Blueprint("cases", __name__, url_prefix="/cases")

SERVING_UNITS = dict(unit_kinds=(UnitKind.WELFARE_CENTRE, UnitKind.DV_CENTRE, UnitKind.MENTAL_HEALTH))
SERVING_ROLES = (Role.SOCIAL_WORKER, Role.SUPERVISOR, Role.UNIT_ADMIN)


@bp.get("/inbox")
@requires(*SERVING_ROLES, **SERVING_UNITS)
def inbox():
    page = max(1, request.args.get("page", 1, type=int))
    pagination = db.paginate(services.inbox_stmt(g.membership.unit_id), page=page, per_page=50, error_out=False)
    return render("cases/inbox.html", fragment="results", pagination=pagination, unit=g.membership.unit)


@bp.get("/<int:case_id>")
@requires(*SERVING_ROLES, **SERVING_UNITS)
def case_detail(case_id: int):
    case = services.case_for_unit(case_id, g.membership.unit_id)
    if case is None:
        abort(404)
    reports = db.session.scalars(sa.select(Report).where(Report.case_id == case.id)
                                 .order_by(Report.received_at)).all()
    audit.record(AuditAction.READ, record_type="family_cases", record_id=case.id, summary=f"查閱個案 {case.case_no}")
    db.session.commit()
    return render("cases/case_detail.html", case=case, reports=reports)
