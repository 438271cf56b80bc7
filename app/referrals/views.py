"""Referral pages (both sides), the partner directory, notifications, lead
hand-overs and disputes."""
from __future__ import annotations

from flask import Blueprint, abort, flash, g, make_response, request, url_for
from flask_login import current_user

from ..accounts.models import Role
from ..audit import services as audit
from ..audit.models import AuditAction
from ..cases import documents as case_documents
from ..cases import services as cases
from ..cases.models import FamilyCase
from ..core import edge
from ..core.errors import DomainError
from ..core.filters import roc_datetime
from ..core.models import utcnow
from ..core.forms import page_arg, url_int
from ..core.permissions import requires, signed_in
from ..core.rendering import form_error, redirect_to, render
from ..extensions import db
from ..tenants.labels import unit_choices
from ..tenants.models import County, Unit
from ..tenants.services import counties
from . import disputes, joint, notify, queries, services
from .forms import (
    AcceptForm,
    CommentForm,
    CompleteForm,
    DeclineForm,
    DisputeDecisionForm,
    DisputeForm,
    DisputeResponseForm,
    DisputeWithdrawForm,
    ForwardForm,
    HandoverAnswerForm,
    HandoverCancelForm,
    HandoverForm,
    MessageForm,
    PartnerServiceForm,
    ReferralForm,
    ServiceRecordForm,
)
from .models import (
    SHAREABLE,
    DeclineReason,
    Dispute,
    DisputeOutcome,
    PartnerService,
    Referral,
    ReferralKind,
    ReferralOutcome,
    ReferralStatus,
    Urgency,
)

from . import record  # noqa: F401 — the family record's referral part (registers with cases.queries)

bp = Blueprint("referrals", __name__)
WORKERS = (Role.SOCIAL_WORKER, Role.SUPERVISOR)
PARTIES = (Role.SOCIAL_WORKER, Role.SUPERVISOR, Role.PARTNER_STAFF, Role.UNIT_ADMIN, Role.DISPATCHER)


def _case_for_writer(case_id: int) -> FamilyCase:
    case = db.session.get(FamilyCase, case_id)
    if case is None or not cases.can_read(case, g.membership):
        abort(404)
    return case


def _referral_form(case: FamilyCase, formdata=None) -> ReferralForm:
    form = ReferralForm(formdata=formdata) if formdata is not None else ReferralForm()
    form.to_unit_id.choices = [(0, "請選擇")] + unit_choices(u for u in queries.receiving_units(case.tenant_id)
                                                            if u.id != g.membership.unit_id)
    form.to_county_id.choices = [(0, "請選擇")] + [(c.id, c.name) for c in counties() if c.id != case.tenant_id]
    form.partner_service_id.choices = [(0, "請選擇")] + [(s.id, f"{s.organisation.short_name or s.organisation.name}｜{s.name}")
                                                        for s in queries.partner_services(case.tenant_id)]
    form.document_ids.choices = [(d.id, f"{d.kind.label}｜{d.filename}（{case_documents.human_size(d.size)}）"
                                        f"{'：' + d.description if d.description else ''}")
                                 for d in case_documents.case_documents(case) if not d.is_deleted]
    return form


# --- Sending --------------------------------------------------------------------

@bp.route("/cases/<int:case_id>/referrals/new", methods=["GET", "POST"])
@requires(*WORKERS)
def referral_new(case_id: int):
    case = _case_for_writer(case_id)
    form = _referral_form(case)
    if request.method == "POST":
        if not form.validate_on_submit():
            return form_error("referrals/new.html", form=form, case=case, error=None)
        kind = ReferralKind(form.kind.data)

        def send():
            return services.send(
                case, current_user, g.membership, kind=kind, reason=form.reason.data,
                services_requested=form.services_requested.data or "", sections=form.sections.data or [],
                to_unit=db.session.get(Unit, form.to_unit_id.data) if form.to_unit_id.data else None,
                to_county=db.session.get(County, form.to_county_id.data) if form.to_county_id.data else None,
                partner_service=db.session.get(PartnerService, form.partner_service_id.data) if form.partner_service_id.data else None,
                consent=form.consent.data, consent_by=form.consent_by.data or "", legal_basis=form.legal_basis.data or "",
                urgency=Urgency(form.urgency.data), document_ids=form.document_ids.data or [])

        def sent(referral: Referral):
            flash(f"已送出轉介 {referral.referral_no}，回覆期限 {roc_datetime(referral.deadline_at)}。", "success")
            return redirect_to(url_for("referrals.detail", referral_id=referral.id))

        def refused(error):
            again = _referral_form(case, request.form)
            edge.beside_field(again, error)  # beside the field it names (the form's summary lists it at the top)
            named = bool(error.field) and error.field in again
            return form_error("referrals/new.html", form=again, case=case, error=None if named else str(error))

        return edge.act_then(send, sent, refused)
    return render("referrals/new.html", form=form, case=case, error=None)


# --- Inbox and one referral ---------------------------------------------------------

@bp.get("/referrals")
@requires(*PARTIES)
def inbox():
    box = request.args.get("box", "")
    if g.membership.unit.is_partner_unit:
        box = "received"
    elif box not in queries.BOXES:
        box = queries.home_box(g.membership)  # the worker's own tab: where the unit mostly works
    status = request.args.get("status", "")
    if status not in queries.STATUS_FILTERS:
        status = ""
    only_open = request.args.get("all") != "1" or bool(status)
    pagination = queries.inbox(g.membership, box, status=status, only_open=only_open,
                               page=page_arg(request.args))
    return render("referrals/inbox.html", fragment="results", pagination=pagination, box=box, only_open=only_open,
                  status_filter=status, status_label=dict(ReferralStatus.choices()).get(status, ""), now=utcnow(),
                  overdue=services.is_overdue)


def _referral_or_404(referral_id: int) -> tuple[Referral, str]:
    referral = db.session.get(Referral, referral_id)  # other counties and partners not party: None
    if referral is None:
        abort(404)
    side = services.side_of(referral, g.membership)
    if side is None and not services.can_read(referral, g.membership):
        abort(404)  # (a sender that is now a read-only former lead still reads it: "observer")
    return referral, side or "observer"


def _detail(referral: Referral, side: str, *, status: int = 200, error: str | None = None, kept=None):
    """``kept``: the form of a refused action, back on the page as typed (and listed under the
    message, its step may be gone from the page now that the referral moved on)."""
    page = queries.referral_page(referral)
    accept = AcceptForm(formdata=None, served_by=current_user.display_name)  # who accepts usually serves: changeable
    if referral.kind == ReferralKind.COUNTY and referral.to_county_id:
        accept.lead_unit_id.choices = [(0, "請選擇")] + unit_choices(queries.receiving_units(referral.to_county_id))
    else:
        accept.lead_unit_id.choices = [(0, "—")]
    forward = ForwardForm(formdata=None)
    forward_county = referral.to_county_id or referral.tenant_id
    forward.to_unit_id.choices = [(0, "請選擇")] + unit_choices(u for u in queries.receiving_units(forward_county)
                                                               if u.id != referral.to_unit_id)
    forms = {"accept": accept, "decline": DeclineForm(formdata=None), "comment": CommentForm(formdata=None),
             "forward": forward, "complete": CompleteForm(formdata=None), "message": MessageForm(formdata=None),
             "service": ServiceRecordForm(formdata=None)}
    for key, blank in list(forms.items()):
        if kept is not None and type(kept) is type(blank):
            if hasattr(blank, "lead_unit_id"):
                kept.lead_unit_id.choices = blank.lead_unit_id.choices
            if hasattr(blank, "to_unit_id"):
                kept.to_unit_id.choices = blank.to_unit_id.choices
            forms[key] = kept
    return render("referrals/detail.html", status=status, referral=referral, side=side, events=page.events,
                  records=page.records,
                  error=error, overdue=services.is_overdue(referral), shareable=SHAREABLE, forms=forms,
                  unsaved_forms=[kept] if kept is not None and not kept.errors else None)


@bp.get("/referrals/<int:referral_id>")
@requires(*PARTIES, Role.COUNTY_ADMIN)
def detail(referral_id: int):
    referral, side = _referral_or_404(referral_id)
    return _detail(referral, side)


@bp.get("/referrals/<int:referral_id>/documents/<int:document_id>")
@requires(*PARTIES, Role.COUNTY_ADMIN)
@edge.transaction
def document_download(referral_id: int, document_id: int):
    """A case document the referral shares, for whoever may read the referral (the partner's staff
    too); any other document of the case, or one deleted since, is 404. Every download is audited,
    in the case's county."""
    referral, _ = _referral_or_404(referral_id)
    found = services.shared_document(referral, document_id)
    if found is None or found[1] is None:
        abort(404)
    document, data = found
    audit.record(AuditAction.READ, record_type="case_documents", record_id=document.id, tenant_id=referral.tenant_id,
                 summary=f"經轉介 {referral.referral_no} 下載案件文件 {document.kind.label}「{document.filename}」"
                         f"（{g.membership.unit.name}）")
    response = make_response(data)
    response.headers.update(case_documents.download_headers(document))
    return response


REFERRAL_STALE = "此轉介剛被他人更新（目前：{status}），您的操作未儲存，請確認目前狀態後再操作。"


def _form_refusal(form) -> str:
    return "；".join(e for errs in form.errors.values() for e in errs if isinstance(e, str))


def _on_referral(referral_id: int, form_class, do):
    """One side's action on a referral, through the request edge: ``do(referral, form)`` returns the
    message; a refusal shows the referral again with the reason and the form as typed (422; a lost
    race 409, with the referral's state now)."""
    referral, _ = _referral_or_404(referral_id)
    form = form_class(request.form)
    if hasattr(form, "lead_unit_id"):
        form.lead_unit_id.choices = [(0, "")] + [(u.id, u.name) for u in queries.units()]
    if hasattr(form, "to_unit_id"):
        form.to_unit_id.choices = [(0, "")] + [(u.id, u.name) for u in queries.units()]

    def work():
        if not form.validate():
            raise services.ReferralError(_form_refusal(form))
        return do(referral, form)

    def done(message: str):
        flash(message, "success")
        return redirect_to(url_for("referrals.detail", referral_id=referral_id))

    def refused(error):
        again, side_now = _referral_or_404(referral_id)
        if error.message == REFERRAL_STALE:
            return _detail(again, side_now, status=409, kept=form, error=REFERRAL_STALE.format(status=again.status.label))
        return _detail(again, side_now, status=422, error=str(error), kept=form)

    return edge.act_then(work, done, refused, stale=REFERRAL_STALE)


@bp.post("/referrals/<int:referral_id>/accept")
@requires(*PARTIES)
def accept(referral_id: int):
    def do(r, f):
        lead = db.session.get(Unit, f.lead_unit_id.data) if f.lead_unit_id.data else None
        services.accept(r, current_user, g.membership, served_by=f.served_by.data, lead_unit=lead)
        return "已受案。"
    return _on_referral(referral_id, AcceptForm, do)


@bp.post("/referrals/<int:referral_id>/decline")
@requires(*PARTIES)
def decline(referral_id: int):
    def do(r, f):
        services.decline(r, current_user, g.membership, DeclineReason(f.reason.data), f.comment.data)
        return "已回覆不受案。"
    return _on_referral(referral_id, DeclineForm, do)


@bp.post("/referrals/<int:referral_id>/return")
@requires(*PARTIES)
def return_(referral_id: int):
    def do(r, f):
        services.return_for_information(r, current_user, g.membership, f.comment.data)
        return "已退回補件。"
    return _on_referral(referral_id, CommentForm, do)


@bp.post("/referrals/<int:referral_id>/resubmit")
@requires(*WORKERS)
def resubmit(referral_id: int):
    def do(r, f):
        services.resubmit(r, current_user, g.membership, f.comment.data)
        return "已補件重送。"
    return _on_referral(referral_id, CommentForm, do)


@bp.post("/referrals/<int:referral_id>/forward")
@requires(*WORKERS)
def forward(referral_id: int):
    def do(r, f):
        new = services.forward(r, current_user, g.membership, db.session.get(Unit, f.to_unit_id.data) or Unit(), f.comment.data)
        return f"已再轉（{new.referral_no}）。"
    return _on_referral(referral_id, ForwardForm, do)


@bp.post("/referrals/<int:referral_id>/withdraw")
@requires(*WORKERS)
def withdraw(referral_id: int):
    def do(r, f):
        services.withdraw(r, current_user, g.membership, f.comment.data)
        return "已撤回轉介。"
    return _on_referral(referral_id, CommentForm, do)


@bp.post("/referrals/<int:referral_id>/complete")
@requires(*PARTIES)
def complete(referral_id: int):
    def do(r, f):
        services.complete(r, current_user, g.membership, ReferralOutcome(f.outcome.data), f.text.data)
        return "已完成轉介，成果已回報轉出單位。"
    return _on_referral(referral_id, CompleteForm, do)


@bp.post("/referrals/<int:referral_id>/fail")
@requires(*PARTIES)
def fail(referral_id: int):
    def do(r, f):
        services.fail(r, current_user, g.membership, f.comment.data)
        return "已記錄轉介失敗。"
    return _on_referral(referral_id, CommentForm, do)


@bp.post("/referrals/<int:referral_id>/messages")
@requires(*PARTIES)
def message(referral_id: int):
    def do(r, f):
        services.message(r, current_user, g.membership, f.text.data)
        return "已送出留言。"
    return _on_referral(referral_id, MessageForm, do)


@bp.post("/referrals/<int:referral_id>/services")
@requires(*PARTIES)
def service_record(referral_id: int):
    def do(r, f):
        services.record_partner_service(r, current_user, g.membership, f.text.data)
        return "已記錄服務。"
    return _on_referral(referral_id, ServiceRecordForm, do)


# --- Partner directory ---------------------------------------------------------------

@bp.get("/directory")
@requires(Role.SOCIAL_WORKER, Role.SUPERVISOR, Role.COUNTY_ADMIN, Role.DISPATCHER)
def directory():
    county_id = url_int(request.args, "county_id") or g.membership.county_id
    q = request.args.get("q", "").strip()[:50]
    rows = [s for s in queries.partner_services(county_id or None)
            if not q or q in s.name or q in s.description or q in s.organisation.name]
    all_counties = counties()
    return render("referrals/directory.html", fragment="results", services=rows, counties=all_counties,
                  county_id=county_id, q=q, county_names={c.id: c.name for c in all_counties})


# --- Notifications ----------------------------------------------------------------

@bp.get("/notifications")
@signed_in
@edge.transaction
def notifications():
    response = render("referrals/notifications.html", rows=queries.notifications(current_user.id))
    notify.mark_read(current_user.id)  # read once shown
    return response


@bp.get("/notifications/count")
@signed_in
def notification_count():
    return render("referrals/notifications.html", fragment="badge", unread=notify.unread_count(current_user.id), rows=[])


# --- Joint cases: lead hand-over -------------------------------------------------------

@bp.post("/cases/<int:case_id>/handover")
@requires(Role.SUPERVISOR)
def handover(case_id: int):
    case = _case_for_writer(case_id)
    form = HandoverForm(request.form)

    def work():
        if not form.validate():
            raise joint.JointError("請選擇協力單位並寫明理由。")
        joint.request_handover(case, current_user, g.membership, form.to_unit_id.data, form.reason.data)
        return "已提出主責移轉，待對方督導接受。"

    return _back_to_joint(case_id, work)


def _back_to_joint(case_id: int, work):
    """A hand-over step from the family's page: back to its 共案 section with what happened (or why not)."""
    def said(message: str, category: str):
        flash(message, category)
        return redirect_to(url_for("cases.case_detail", case_id=case_id) + "#joint")

    return edge.act_then(work, lambda message: said(message, "success"), lambda error: said(str(error), "error"))


@bp.post("/cases/<int:case_id>/handover/<int:handover_id>")
@requires(Role.SUPERVISOR)
def handover_answer(case_id: int, handover_id: int):
    case = _case_for_writer(case_id)
    handover = queries.handover(case.id, handover_id)
    if handover is None:
        abort(404)
    form = HandoverAnswerForm(request.form)

    def work():
        if not form.validate():
            raise joint.JointError("請選擇接受或不接受。")
        joint.answer_handover(handover, case, current_user, g.membership, form.decision.data == "accept", form.note.data or "")
        return "已回應主責移轉。"

    back = url_for("cases.case_detail", case_id=case_id) + "#joint"

    def refused(error: DomainError):
        """Too late (answered or cancelled meanwhile: 409) or not the receiving supervisor (403): said
        with that status; what is missing from the answer goes back to the case page beside it."""
        if error.status in (403, 409):
            return render("referrals/refused.html", status=error.status, title="無法回應主責移轉",
                          message=str(error), back=back)
        flash(str(error), "error")
        return redirect_to(back)

    def answered(message: str):
        flash(message, "success")
        return redirect_to(back)

    return edge.act_then(work, answered, refused)


# --- Disputes ---------------------------------------------------------------------

@bp.route("/cases/<int:case_id>/disputes/new", methods=["GET", "POST"])
@requires(*WORKERS)
def dispute_new(case_id: int):
    case = _case_for_writer(case_id)
    form = DisputeForm()
    form.proposed_unit_id.choices = [(0, "（不需指定）")] + unit_choices(queries.receiving_units(case.tenant_id))
    if request.method == "POST":
        if not form.validate_on_submit():
            return form_error("referrals/dispute_new.html", form=form, case=case, error=None)

        def filed(dispute: Dispute):
            flash("已提出爭議；在處理結果確定前，請持續提供服務。", "success")
            return redirect_to(url_for("referrals.dispute_detail", dispute_id=dispute.id))

        return edge.act_then(
            lambda: disputes.file(case, current_user, g.membership, reason=form.reason.data,
                                  proposed=DisputeOutcome(form.proposed.data),
                                  proposed_unit=db.session.get(Unit, form.proposed_unit_id.data) if form.proposed_unit_id.data else None),
            filed, lambda error: form_error("referrals/dispute_new.html", form=form, case=case, error=str(error)))
    return render("referrals/dispute_new.html", form=form, case=case, error=None)


@bp.get("/disputes")
@requires(Role.COUNTY_ADMIN, *WORKERS)
@edge.transaction
def dispute_list():
    disputes.escalate_silent()  # those left unanswered past the deadline go to the arbiter as the list is read
    return render("referrals/disputes.html", rows=queries.open_disputes(g.membership), now=utcnow())


def _dispute_or_404(dispute_id: int) -> Dispute:
    dispute = db.session.get(Dispute, dispute_id)
    m = g.membership
    if dispute is None or not (m.role == Role.COUNTY_ADMIN or m.unit_id in (dispute.filed_by_unit_id, dispute.other_unit_id)
                               or cases.can_read(dispute.case, m)):
        abort(404)
    return dispute


def _dispute_page(dispute: Dispute, status: int = 200, error: str | None = None, decision=None, confirm=None,
                  withdraw=None, withdraw_confirm=None):
    """``decision``: the arbiter's form as typed (kept on an error and behind the confirmation step);
    ``withdraw``, ``withdraw_confirm``: the filer's withdrawal, as typed and behind its confirmation."""
    decision = decision if decision is not None else DisputeDecisionForm(formdata=None)
    units = queries.receiving_units(dispute.tenant_id)
    decision.lead_unit_id.choices = [(0, "（不需指定）")] + unit_choices(units)
    decision.collaborator_ids.choices = unit_choices(units)
    return render("referrals/dispute_detail.html", status=status, dispute=dispute, error=error,
                  response_form=DisputeResponseForm(formdata=None), decision_form=decision, confirm=confirm,
                  withdraw_form=withdraw if withdraw is not None else DisputeWithdrawForm(formdata=None),
                  withdraw_confirm=withdraw_confirm)


@bp.get("/disputes/<int:dispute_id>")
@requires(Role.COUNTY_ADMIN, *WORKERS, Role.DISPATCHER)
def dispute_detail(dispute_id: int):
    return _dispute_page(_dispute_or_404(dispute_id))


DISPUTE_STALE = "此爭議剛被其他人更新，請確認後再操作。"


def _on_dispute(dispute_id: int, form_class, do):
    """An answer or the decision on a dispute, through the request edge: ``do(dispute, form)`` returns
    the message; a refusal shows the dispute again with the reason (422, the arbiter's form as typed;
    a lost race 409)."""
    dispute = _dispute_or_404(dispute_id)
    form = form_class(request.form)
    if hasattr(form, "lead_unit_id"):
        all_units = [(u.id, u.name) for u in queries.units(dispute.tenant_id)]
        form.lead_unit_id.choices = [(0, "")] + all_units
        form.collaborator_ids.choices = all_units

    def work():
        if not form.validate():
            raise disputes.DisputeError(_form_refusal(form))
        return do(dispute, form)

    def done(message: str):
        flash(message, "success")
        return redirect_to(url_for("referrals.dispute_detail", dispute_id=dispute_id))

    def refused(error):
        if error.message == DISPUTE_STALE:
            return _dispute_page(_dispute_or_404(dispute_id), 409, DISPUTE_STALE)
        kept = form if isinstance(form, DisputeDecisionForm) else None
        return _dispute_page(_dispute_or_404(dispute_id), 422, str(error), decision=kept)

    return edge.act_then(work, done, refused, stale=DISPUTE_STALE)


@bp.post("/disputes/<int:dispute_id>/respond")
@requires(*WORKERS, Role.DISPATCHER)
def dispute_respond(dispute_id: int):
    def do(d, f):
        disputes.respond(d, current_user, g.membership, agrees=f.decision.data == "agree", reason=f.reason.data)
        return "已回應爭議。"
    return _on_dispute(dispute_id, DisputeResponseForm, do)


def _decision_confirmation(dispute_id: int):
    """The arbiter's choice checked, then shown back with what it changes at once; nothing is decided yet."""
    dispute = _dispute_or_404(dispute_id)
    form = DisputeDecisionForm(request.form)
    all_units = {u.id: u for u in queries.units(dispute.tenant_id)}
    form.lead_unit_id.choices = [(0, "")] + [(i, u.name) for i, u in all_units.items()]
    form.collaborator_ids.choices = [(i, u.name) for i, u in all_units.items()]
    try:
        if not form.validate():
            raise disputes.DisputeError(_form_refusal(form))
        outcome = DisputeOutcome(form.outcome.data)
        lead = all_units.get(form.lead_unit_id.data)
        collaborators = [all_units[i] for i in form.collaborator_ids.data or [] if i in all_units]
        disputes.check_decision(dispute, g.membership, outcome=outcome, reason=form.reason.data or "", lead_unit=lead)
    except disputes.DisputeError as exc:
        return _dispute_page(dispute, 422, str(exc), decision=form)
    case = dispute.case
    current = case.lead_unit.name if case.lead_unit else "—"
    effect = {
        DisputeOutcome.MAINTAIN: f"個案維持由 {current} 主責",
        DisputeOutcome.RETURN: f"個案退回篩派案中心重新篩派（新增一筆待篩派的通報）；重新派案前由 {current} 持續服務",
        DisputeOutcome.REASSIGN: f"個案主責立即由 {current} 改為 {lead.name if lead else '—'}"
                                 + (f"，{'、'.join(u.name for u in collaborators)} 協力" if collaborators else "")
                                 + "，原主責單位依裁決調整（勾選為協力者留任協力）",
        DisputeOutcome.JOINT: f"個案改為共案：{lead.name if lead else '—'} 主責"
                              + (f"，{'、'.join(u.name for u in collaborators)} 協力" if collaborators else "") + "，立即生效",
    }[outcome]
    hidden = [(k, v) for k, v in request.form.items(multi=True) if k not in ("csrf_token", "confirm")]
    return _dispute_page(dispute, decision=form, confirm={
        "title": f"確認裁決爭議 #{dispute.id}（{case.case_no}）：{outcome.label}？",
        "action": url_for("referrals.dispute_decide", dispute_id=dispute.id),
        "cancel": url_for("referrals.dispute_detail", dispute_id=dispute.id), "hidden": hidden,
        "lead": "確認送出後立即執行，且不能撤回：", "edit": True,
        "frozen": [f"裁決結果「{outcome.label}」與裁決理由：{(form.reason.data or '').strip()[:120]}", effect,
                   f"爭議結案，{dispute.filed_by_unit.name}與{dispute.other_unit.name}都會收到裁決通知"]})


@bp.post("/disputes/<int:dispute_id>/decide")
@requires(Role.COUNTY_ADMIN)
def dispute_decide(dispute_id: int):
    if request.form.get("edit") == "1":  # back from the confirmation to the form, as it was filled
        return _dispute_page(_dispute_or_404(dispute_id), decision=DisputeDecisionForm(request.form))
    if request.form.get("confirm") != "1":
        return _decision_confirmation(dispute_id)

    def do(d, f):
        disputes.decide(d, current_user, g.membership, outcome=DisputeOutcome(f.outcome.data), reason=f.reason.data,
                        lead_unit=db.session.get(Unit, f.lead_unit_id.data) if f.lead_unit_id.data else None,
                        collaborators=[db.session.get(Unit, i) for i in f.collaborator_ids.data or []],
                        former_lead=f.former_lead.data)
        return "已裁決並執行。"
    return _on_dispute(dispute_id, DisputeDecisionForm, do)


# --- Keeping the directory ------------------------------------------------------------

def _service_form(service: PartnerService | None):
    form = PartnerServiceForm(obj=service) if request.method == "GET" and service else PartnerServiceForm()
    orgs = queries.partner_organisations()
    m = g.membership
    if m is not None and m.unit.is_partner_unit:  # a partner's unit administrator keeps only its own entries
        orgs = [o for o in orgs if o.id == m.unit.partner_org_id]
    form.partner_org_id.choices = [(0, "請選擇")] + [(o.id, o.name) for o in orgs]
    form.county_ids.choices = [(c.id, c.name) for c in counties()]
    return form


@bp.route("/directory/services/new", methods=["GET", "POST"], defaults={"service_id": None})
@bp.route("/directory/services/<int:service_id>", methods=["GET", "POST"])
@requires(Role.UNIT_ADMIN, sysadmin=True)
@edge.transaction
def service_edit(service_id: int | None):
    service = db.session.get(PartnerService, service_id) if service_id else None
    m = g.membership
    partner_admin = m is not None and m.unit.is_partner_unit
    if (service_id and service is None) or (m is not None and not partner_admin and not current_user.is_sysadmin) or (
            service is not None and partner_admin and service.partner_org_id != m.unit.partner_org_id):
        abort(404)
    form = _service_form(service)
    if request.method == "POST":
        if not form.validate_on_submit() or not form.partner_org_id.data:
            if not form.partner_org_id.data:
                form.partner_org_id.errors = list(form.partner_org_id.errors) + ["請選擇民間團體。"]
            return form_error("referrals/service_form.html", form=form, service=service)
        service = service or PartnerService()
        service.partner_org_id = form.partner_org_id.data
        service.name = form.name.data.strip()
        service.description = (form.description.data or "").strip()
        service.county_ids = list(form.county_ids.data or [])
        service.contact = (form.contact.data or "").strip()
        service.capacity_note = (form.capacity_note.data or "").strip()
        service.is_active = form.is_active.data
        db.session.add(service)
        flash(f"已儲存「{service.name}」。", "success")
        return redirect_to(url_for("referrals.directory"))
    if request.method == "GET" and service is not None:
        form.county_ids.data = list(service.county_ids)
    return render("referrals/service_form.html", form=form, service=service)


# --- The ways out of a dispute and a hand-over: withdrawal by the filer, cancellation by the proposer ---

@bp.post("/disputes/<int:dispute_id>/withdraw")
@requires(*WORKERS)
def dispute_withdraw(dispute_id: int):
    """The unit that raised a dispute withdraws it (asked first: the confirmation names what follows)."""
    dispute = _dispute_or_404(dispute_id)
    form = DisputeWithdrawForm(request.form)

    def refused(exc: DomainError):
        return _dispute_page(_dispute_or_404(dispute_id), exc.status, str(exc), withdraw=form)

    if not form.validate():
        return refused(disputes.DisputeError(_form_refusal(form)))
    if request.form.get("confirm") != "1":
        try:
            disputes.check_withdrawal(dispute, g.membership, form.reason.data)
        except disputes.DisputeError as exc:
            return refused(exc)
        case = dispute.case
        told = dispute.other_unit.name + ("與縣市裁決單位" if dispute.status.value == "awaiting_arbiter" else "")
        return _dispute_page(dispute, withdraw=form, withdraw_confirm={
            "title": f"確認撤回爭議 #{dispute.id}（{case.case_no}）？",
            "action": url_for("referrals.dispute_withdraw", dispute_id=dispute.id),
            "cancel": url_for("referrals.dispute_detail", dispute_id=dispute.id),
            "hidden": [(form.reason.name, form.reason.data)], "lead": "確認送出後爭議即撤回，不能再恢復：",
            "frozen": [f"撤回理由：{form.reason.data.strip()[:120]}",
                       f"個案的主責與協力單位不變（目前主責：{case.lead_unit.name if case.lead_unit else '—'}）",
                       f"{told}會收到撤回通知"]})

    def do():
        disputes.withdraw(dispute, current_user, g.membership, form.reason.data)
        flash("已撤回爭議；個案的主責與協力單位不變。", "success")
        return redirect_to(url_for("referrals.dispute_detail", dispute_id=dispute.id))
    return edge.act(do, refused)


@bp.post("/cases/<int:case_id>/handover/<int:handover_id>/cancel")
@requires(Role.SUPERVISOR)
def handover_cancel(case_id: int, handover_id: int):
    """The unit that proposed a hand-over cancels it before it is answered."""
    case = _case_for_writer(case_id)
    handover = queries.handover(case.id, handover_id)
    if handover is None:
        abort(404)
    form = HandoverCancelForm(request.form)
    back = url_for("cases.case_detail", case_id=case_id) + "#joint"

    def refused(exc: DomainError):
        return render("referrals/refused.html", status=exc.status, title="無法取消主責移轉", message=str(exc), back=back)

    if not form.validate():
        return refused(joint.JointError(_form_refusal(form)))

    def do():
        joint.cancel_handover(handover, current_user, g.membership, form.note.data or "")
        flash("已取消主責移轉；主責單位不變。", "success")
        return redirect_to(back)
    return edge.act(do, refused)
