"""通報調查處理中心: the centre's queue, an investigation's page and its moves; the county's start date."""
from __future__ import annotations

from flask import Blueprint, abort, flash, g, url_for
from flask_login import current_user

from ..accounts.models import Role
from ..audit import services as audit
from ..core import edge
from ..core.filters import roc_date
from ..core.models import utcnow
from ..core.permissions import requires
from ..core.rendering import redirect_to, render
from ..extensions import db
from ..household import blocks as household_blocks
from ..intake import deadlines as intake_deadlines
from ..referrals import queries as referral_queries
from ..referrals.models import PartnerService
from ..tenants.labels import unit_choices
from ..tenants.models import INVESTIGATION_DEFAULT_FROM, Unit, UnitKind
from . import queries, services
from .forms import CloseForm, ConcludeForm, DispatchForm, StartDateForm, StartForm
from .models import Investigation, InvestigationStatus

bp = Blueprint("investigations", __name__, url_prefix="/investigations")

CENTRE = dict(unit_kinds=(UnitKind.INVESTIGATION_CENTRE,))
STAFF = (Role.SOCIAL_WORKER, Role.SUPERVISOR)


def _investigation_or_404(investigation_id: int) -> Investigation:
    inv = db.session.get(Investigation, investigation_id)  # tenant-scoped: another county's is None
    if inv is None:
        abort(404)
    return inv


def _clock(inv: Investigation, now):
    due = queries.next_due(inv)
    return intake_deadlines.clock(inv.received_at, due, now) if due is not None else None


@bp.get("/")
@requires(*STAFF, **CENTRE)
def queue():
    now = utcnow()
    rows = [(inv, _clock(inv, now)) for inv in queries.queue()]
    return render("investigations/queue.html", rows=rows, counts=queries.counts(now), now=now)


def _forms(inv: Investigation, bound: str | None = None) -> dict:
    """The page's forms, empty, except ``bound`` (the one posted), which reads the request."""
    def make(key, cls):
        return cls() if key == bound else cls(formdata=None)

    send = make("dispatch_form", DispatchForm)
    send.unit_id.choices = [(0, "請選擇")] + unit_choices(services.service_units(inv.tenant_id))
    send.partner_service_id.choices = [(0, "不轉介")] + [
        (s.id, f"{s.organisation.short_name or s.organisation.name}｜{s.name}")
        for s in referral_queries.partner_services(inv.tenant_id)]
    return {"start_form": make("start_form", StartForm), "conclude_form": make("conclude_form", ConcludeForm),
            "dispatch_form": send, "close_form": make("close_form", CloseForm)}


def _detail(inv: Investigation, *, status: int = 200, error: str | None = None, forms: dict | None = None):
    context = _forms(inv)
    context.update(forms or {})
    moves = {t.name for t in services.WORKFLOW.available(inv, g.membership)}
    return render("investigations/detail.html", status=status, inv=inv, report=inv.report, error=error, moves=moves,
                  partner_referrals=queries.partner_referrals(inv), household=household_blocks.for_report(inv.report),
                  clock=_clock(inv, utcnow()), late_contact=_late_contact(inv), **context)


def _late_contact(inv: Investigation) -> str | None:
    """How late the first contact was (逾期 …), or None when in time or not yet made."""
    if inv.first_contact_at is None or inv.first_contact_at <= inv.contact_due_at:
        return None
    return intake_deadlines.clock(inv.received_at, inv.contact_due_at, inv.first_contact_at).text


@bp.get("/<int:investigation_id>")
@requires(*STAFF, **CENTRE)
def detail(investigation_id: int):
    inv = _investigation_or_404(investigation_id)
    return audit.read_page(lambda: _detail(inv), record_type="reports", record_id=inv.report_id,
                           summary=f"查閱調查 {inv.report.report_no}（案家成員與家戶圖像）")


def _act(investigation_id: int, key: str, do):
    """Validate the named form and fire the move through the request edge; the page again with the
    message beside the form (and what was typed) when refused."""
    inv = _investigation_or_404(investigation_id)
    forms = _forms(inv, bound=key)
    form = forms[key]

    def refused(exc):
        edge.beside_field(form, exc)
        return _detail(_investigation_or_404(investigation_id), status=getattr(exc, "status", 422), error=str(exc),
                       forms=forms)

    if not form.validate_on_submit():
        return _detail(inv, status=422, error=form.error_sentence(), forms=forms)
    return edge.act(lambda: do(inv, form), refused,
                    stale="此調查剛由他人處理，您的操作未儲存，請確認後再操作。")


@bp.post("/<int:investigation_id>/start")
@requires(*STAFF, **CENTRE)
def start(investigation_id: int):
    def do(inv, form):
        services.start(inv, current_user, g.membership, form.note.data or "")
        flash(f"已開始調查通報 {inv.report.report_no}。", "success")
        return redirect_to(url_for("investigations.detail", investigation_id=inv.id))

    return _act(investigation_id, "start_form", do)


@bp.post("/<int:investigation_id>/conclude")
@requires(*STAFF, **CENTRE)
def conclude(investigation_id: int):
    def do(inv, form):
        services.conclude(inv, current_user, g.membership, substantiated=form.substantiated.data == "1",
                          service_need=form.service_need.data == "1", note=form.note.data or "")
        flash(f"通報 {inv.report.report_no} 調查完成（{inv.outcome_label}）。", "success")
        return redirect_to(url_for("investigations.detail", investigation_id=inv.id))

    return _act(investigation_id, "conclude_form", do)


@bp.post("/<int:investigation_id>/dispatch")
@requires(*STAFF, **CENTRE)
def dispatch(investigation_id: int):
    def do(inv, form):
        partner = None
        if form.partner_service_id.data:
            partner = services.PartnerReferral(
                db.session.get(PartnerService, form.partner_service_id.data), reason=form.partner_reason.data or "",
                services_requested=form.partner_services_requested.data or "",
                sections=form.partner_sections.data or [], consent=form.partner_consent.data,
                consent_by=form.partner_consent_by.data or "", legal_basis=form.partner_legal_basis.data or "")
        elif (form.partner_reason.data or "").strip():
            raise services.InvestigationError("已填寫轉介理由，請選擇要轉介的民間團體服務；不轉介請清空轉介理由。",
                                              field="partner_service_id")
        case = services.dispatch(inv, current_user, g.membership, db.session.get(Unit, form.unit_id.data),
                                 form.note.data or "", partner=partner)
        flash(f"已派案至 {inv.dispatched_unit.name}（個案 {case.case_no}）"
              + (f"，並轉介 {partner.service.organisation.name}" if partner else "") + "。", "success")
        return redirect_to(url_for("investigations.queue"))

    return _act(investigation_id, "dispatch_form", do)


@bp.post("/<int:investigation_id>/close")
@requires(Role.SUPERVISOR, **CENTRE)
def close(investigation_id: int):
    def do(inv, form):
        services.close(inv, current_user, g.membership, form.reason.data or "")
        flash(f"通報 {inv.report.report_no} 已結束（無需服務）。", "success")
        return redirect_to(url_for("investigations.queue"))

    return _act(investigation_id, "close_form", do)


# --- The county's start date -------------------------------------------------------------

@bp.route("/settings", methods=["GET", "POST"])
@requires(Role.COUNTY_ADMIN)
def settings():
    county = g.membership.unit.county
    if county is None:
        abort(403)
    form = StartDateForm(data={"investigation_from": county.investigation_from})
    if form.validate_on_submit():
        before = county.investigation_from
        county.investigation_from = form.investigation_from.date
        edge.commit()  # the county is audited: the change is in the audit log with before and after
        flash(f"通報調查處理中心啟用日已由 {roc_date(before)} 改為 {roc_date(county.investigation_from)}。", "success")
        return redirect_to(url_for("investigations.settings"))
    centres = services.centre_units(county.id)
    return render("investigations/settings.html", status=422 if form.errors else 200, form=form, county=county,
                  centres=centres, default=INVESTIGATION_DEFAULT_FROM)
