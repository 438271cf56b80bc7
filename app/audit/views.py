"""Reading the audit log: a county administrator reads the county's, a system
administrator everyone's. Nobody can change it."""
from __future__ import annotations

from contextlib import nullcontext

from flask import Blueprint, request
from flask_login import current_user

from ..accounts.models import Role
from ..core import tenancy
from ..core.keyset import keyset_page
from ..core.permissions import current_role, requires
from ..core.rendering import render
from ..tenants.services import counties
from .forms import RECORD_TYPE_LABELS, AuditFilterForm
from .models import AuditEvent
from .services import events_query

bp = Blueprint("audit", __name__)


@bp.get("/admin/audit")
@requires(Role.COUNTY_ADMIN, sysadmin=True)
def log():
    form = AuditFilterForm(request.args)
    system_view = current_role() != Role.COUNTY_ADMIN and current_user.is_sysadmin
    form.county_id.choices = [(0, "全部")] + [(c.id, c.name) for c in counties()]
    valid = form.validate() if request.args else True
    cursor = request.args.get("before", "")[:80]
    stmt = events_query(
        username=(form.username.data or "").strip().lower() if valid else "",
        date_from=form.date_from.date if valid else None,
        date_to=form.date_to.date if valid else None,
        record_type=form.record_type.data or "" if valid else "",
        record_id=(form.record_id.data or "").strip() if valid else "",
    )
    if system_view and valid and form.county_id.data:
        stmt = stmt.where(AuditEvent.tenant_id == form.county_id.data)
    scope = tenancy.all_tenants("system administrator reads the whole audit log") if system_view else nullcontext()
    with scope:
        pagination = keyset_page(stmt, [AuditEvent.occurred_at, AuditEvent.id], cursor, per_page=50)
        events = pagination.items
        for event in events:  # load what the page shows while the scope is open
            _ = (event.unit, event.county)
    status = 200 if valid else 422
    return render("audit/log.html", fragment="results", status=status, form=form, pagination=pagination,
                  events=events, system_view=system_view,
                  record_labels=RECORD_TYPE_LABELS)
