"""The unit inbox, the family record and its actions, search, a worker's dashboard."""
from __future__ import annotations

from datetime import timezone

from flask import Blueprint, abort, flash, g, make_response, request, url_for
from flask_login import current_user

from ..accounts.models import Role, User
from ..audit import services as audit
from ..audit.models import AuditAction
from ..core import edge
from ..core.security import safe_next
from ..core.filters import TAIPEI, roc_date
from ..core.forms import page_arg, parse_flexible_date, url_int
from ..core.models import utcnow
from ..core.permissions import requires
from ..core.rendering import redirect_to, render, wants_fragment
from ..extensions import db
from ..household import blocks as household_blocks
from ..intake.reference import Relation, Sex, VulnerabilityDimension
from ..tenants.models import SERVING_UNIT_KINDS
from ..core import calendar
from . import catalogue, deadlines, documents, programme, queries, services
from .forms import (
    AssessmentReportForm,
    AssignForm,
    ClosingForm,
    ContactForm,
    DecisionForm,
    DocumentDeleteForm,
    DocumentForm,
    HouseholdForm,
    MemberCorrectionForm,
    MemberEndForm,
    MemberForm,
    NoteForm,
    PlanForm,
    PlanReviewForm,
    RemovalCorrectionForm,
    RemovalOutcomeForm,
    RemovalRequestForm,
    ReopenForm,
    ReviewForm,
    SafetyForm,
    SearchForm,
    ServiceForm,
    TargetGroupEndForm,
    TargetGroupForm,
    TipvdaForm,
    VulnerabilityForm,
)
from .models import (
    CaseStatus,
    FamilyCase,
    MembershipEnd,
)
from .reference import AssessmentOutcome, ContactMethod, Level, MemberFlag, RemovalOutcome, SafetyResult, ServiceStatus, WelfareType

bp = Blueprint("cases", __name__, url_prefix="/cases")

SERVING = dict(unit_kinds=SERVING_UNIT_KINDS)
SERVING_ROLES = (Role.SOCIAL_WORKER, Role.SUPERVISOR, Role.UNIT_ADMIN)
READERS = (Role.SOCIAL_WORKER, Role.SUPERVISOR, Role.UNIT_ADMIN, Role.DISPATCHER, Role.COUNTY_ADMIN)


def _case_or_404(case_id: int) -> FamilyCase:
    case = queries.case_for_page(case_id)
    if case is None or not services.can_read(case, g.membership):
        abort(404)  # another county's case, or a unit not on it: as if it did not exist
    return case


# --- Inbox ------------------------------------------------------------------

@bp.get("/inbox")
@requires(*SERVING_ROLES, **SERVING)
def inbox():
    page = page_arg(request.args)
    status = request.args.get("status", "open")
    if status not in ("open", "") and status not in {s.value for s in CaseStatus}:
        status = "open"  # a hand-edited filter: show the default list rather than fail
    lead_only = request.args.get("lead") == "1"
    pagination = db.paginate(queries.inbox_stmt(g.membership.unit_id, status=status, lead_only=lead_only), page=page,
                             per_page=30, error_out=False)
    now = utcnow()
    rows = [(case, deadlines.case_deadlines(case, now)) for case in pagination.items]
    loads = services.workers_with_load(g.membership.unit_id)
    supervisor = g.membership.role == Role.SUPERVISOR
    return render("cases/inbox.html", fragment="results", rows=rows, pagination=pagination, unit=g.membership.unit,
                  loads=loads, supervisor=supervisor, status_filter=status, lead_only=lead_only, assign_form=_assign_form(loads))


def _assign_form(loads, formdata=None):
    form = AssignForm(formdata=formdata)
    form.worker_id.choices = [(0, "請選擇社工")] + [(l.user.id, f"{l.user.display_name}（{l.open_cases} 案）") for l in loads]
    return form


def _version(form, *, required: bool = False) -> int | None:
    """The hidden version a form was rendered with (None when a client sends none and may)."""
    try:
        return int(form.version.data) if form.version.data or required else None
    except (TypeError, ValueError):
        raise services.CaseError("表單版本資訊遺失，請重新載入頁面。") from None


@bp.post("/<int:case_id>/assign")
@requires(Role.SUPERVISOR, **SERVING)
def assign(case_id: int):
    case = _case_or_404(case_id)
    loads = services.workers_with_load(g.membership.unit_id)
    form = _assign_form(loads, request.form)

    def act():
        if not form.validate() or not form.worker_id.data:
            raise services.CaseError("請選擇要指派的社工。")
        worker = db.session.get(User, form.worker_id.data)
        services.assign(case, current_user, g.membership, worker, version=_version(form))
        flash(f"已將 {case.case_no} 指派給 {worker.display_name}。", "success")
        return redirect_to(safe_next(request.form.get("next"), url_for("cases.case_detail", case_id=case.id)))

    return _act(case, act, "assign", form)


# --- The family record ----------------------------------------------------------

def _forms(case: FamilyCase, override: dict | None = None) -> dict:
    loads = services.workers_with_load(g.membership.unit_id) if services.is_lead_supervisor(case, g.membership) else []
    contact = ContactForm(formdata=None)
    contact.contacted_at.data = utcnow().astimezone(TAIPEI).replace(tzinfo=None, second=0, microsecond=0)
    table = services.factor_table_in_force()
    vulnerability = VulnerabilityForm(formdata=None)
    tipvda_version = services.tipvda_in_force()
    forms = {
        "assign": _assign_form(loads), "contact": contact, "vulnerability": vulnerability,
        "report": AssessmentReportForm(formdata=None), "tipvda": TipvdaForm(formdata=None),
        "safety": SafetyForm(formdata=None), "decision": DecisionForm(formdata=None),
        "review": ReviewForm(formdata=None), "closing": ClosingForm(formdata=None), "reopen": ReopenForm(formdata=None),
        "plan": PlanForm(formdata=None), "plan_review": PlanReviewForm(formdata=None),
        "service": ServiceForm(formdata=None), "note": NoteForm(formdata=None),
        "target_group": TargetGroupForm(formdata=None, since=calendar.today()),
        "removal": RemovalRequestForm(formdata=None, asked_on=calendar.today()),
        "household": HouseholdForm(formdata=None, version=case.version, address=case.address, phone=case.phone),
        "document": DocumentForm(formdata=None),
    }
    forms.update({k: v for k, v in (override or {}).items() if k not in ("removal_outcome", "document_delete")})
    _choices(case, forms, table, tipvda_version)
    _programme_choices(case, forms)
    return forms


def _programme_choices(case: FamilyCase, forms: dict) -> None:
    """The catalogue, the target groups in force today and the current members (reference data by date)."""
    today = calendar.today()
    current = [(m.id, f"{m.name or '（不詳）'}（{m.relation.label}）") for m in case.members if m.is_current]
    if "service" in forms:
        forms["service"].item.choices = [("", "請選擇服務項目")] + [c for _, items in catalogue.service_choices(today) for c in items]
    if "target_group" in forms:
        forms["target_group"].group_code.choices = [("", "請選擇服務對象")] + catalogue.group_choices(today)
        forms["target_group"].member_id.choices = [(0, "全家")] + current
    if "removal" in forms:
        forms["removal"].member_id.choices = [(0, "（未指定）")] + current


def _choices(case, forms, table, tipvda_version):
    current = [m for m in case.members if m.is_current]  # a member who left is not seen or assessed any more
    forms["contact"].persons_seen.choices = [(m.id, f"{m.name or '（不詳）'}（{m.relation.label}）") for m in current]
    forms["vulnerability"].factor_ids.choices = [(f.id, f.text) for f in table.factors] if table else []
    forms["safety"].member_id.choices = [(0, "請選擇")] + [(m.id, m.name or "（不詳）") for m in current if m.is_child]
    items = tipvda_version.items if tipvda_version else []
    tip = forms["tipvda"]
    while len(tip.answers.entries) < len(items):
        tip.answers.append_entry()
    for entry, text in zip(tip.answers.entries, items):
        entry.label.text = text


STATE_SECTIONS = ("decision", "review", "closing", "reopen")  # forms shown only in some states of the case


def _ided(form, prefix: str):
    """Give a member's form unique element ids (one form per member on the page); names stay the form's own."""
    for f in form:
        f.id = f"{prefix}-{f.short_name}"
        f.label.field_id = f.id
    return form


def _with_welfare(form):
    """The 福利身分別 offered today (reference data by date), on the add-member form."""
    form.welfare_type.choices = [("", "（未填）")] + catalogue.welfare_choices(calendar.today())
    return form


def _household_forms(case: FamilyCase, override: dict | None = None) -> dict:
    """The add-member form and, for each current member, the correction and end forms (the refused one
    as typed, with its errors)."""
    override = override or {}
    forms = {"add": _with_welfare(override.get("add") or MemberForm(formdata=None)), "correct": {}, "end": {}}
    for m in case.members:
        if not m.is_current:
            continue
        correct = override.get(("correct", m.id)) or MemberCorrectionForm(
            formdata=None, name=m.name, id_number=m.id_number,
            birth_date=roc_date(m.birth_date, "short") if m.birth_date else "")
        forms["correct"][m.id] = _ided(correct, f"mc{m.id}")
        forms["end"][m.id] = _ided(override.get(("end", m.id)) or MemberEndForm(formdata=None), f"me{m.id}")
    return forms


def _page(case: FamilyCase, *, status: int = 200, error: str | None = None, section: str | None = None,
          forms: dict | None = None, unsaved=None, household: dict | None = None, fragment: str = "content"):
    record = queries.family_record(case)
    vulnerability = services.latest_vulnerability(case)
    table = services.factor_table_in_force()
    factor_text = {f.id: f for f in table.factors} if table else {}
    if vulnerability is not None and vulnerability.table_id != (table.id if table else None):
        factor_text.update({f.id: f for f in vulnerability.table.factors})
    membership = g.membership
    household = household or {}
    removals = programme.removal_requests(case)
    marks = programme.case_groups(case)
    return render(
        "cases/case_detail.html", fragment=fragment, household_forms=_household_forms(case, household.get("override")),
        household_error=household.get("error"), household_open=set((household.get("override") or {}).keys()),
        member_changes=record.member_changes, can_edit_household=services.can_edit_household(case, membership),
        current_members=[m for m in case.members if m.is_current],
        former_members=[m for m in case.members if not m.is_current], status=status, case=case, reports=record.reports,
        events=record.events.events, timeline_more=record.events.more, contacts=record.contacts.items,
        contacts_more=record.contacts.more, contacts_total=record.contacts.total, vulnerability=vulnerability,
        assessment_report=record.assessment_report, tipvdas=record.tipvdas, safeties=record.safeties,
        plans=record.plans, services_done=record.services_done, notes=record.notes.items, notes_more=record.notes.more,
        notes_total=record.notes.total, factor_text=factor_text,
        **record.parts,
        dues=deadlines.case_deadlines(case, utcnow(), services.next_plan_review(case)),
        forms=_forms(case, forms), error=error, section=section, table=table, unsaved_forms=[unsaved] if unsaved else None,
        can_write=services.can_write(case, membership), lead_supervisor=services.is_lead_supervisor(case, membership),
        decider=case.assigned_worker_id == current_user.id or services.is_lead_supervisor(case, membership),
        dimension_label={d.value: d.label for d in VulnerabilityDimension},
        flag_choices=MemberFlag.choices(), service_groups=catalogue.service_choices(calendar.today()),
        welfare_choices=catalogue.welfare_choices(calendar.today(), {m.welfare_type.value for m in case.members if m.welfare_type}),
        members_by_id={m.id: m for m in case.members},
        service_labels=catalogue.ServiceLabels(s.item for s in record.services_done),
        target_marks=marks, group_labels=catalogue.group_labels(),
        end_forms=_row_forms(forms, "group_end", TargetGroupEndForm, (m for m in marks if m.ended_on is None)),
        removals=removals, corrections=programme.corrections(case),
        outcome_forms=_row_forms(forms, "removal_outcome", RemovalOutcomeForm,
                                 (r for r in removals if r.outcome == RemovalOutcome.PENDING)),
        correction_forms=_row_forms(forms, "removal_correction", RemovalCorrectionForm,
                                    (r for r in removals if r.outcome != RemovalOutcome.PENDING)),
        **_document_part(case, forms),
        household_picture=household_blocks.for_case(case),
    )


def _row_forms(override: dict | None, section: str, form_class, rows) -> dict:
    """One form of ``form_class`` for each row (a mark, a removal request), the refused one as typed."""
    typed = (override or {}).get(section)
    return {r.id: typed[1] if typed and typed[0] == r.id else _ided(form_class(formdata=None), f"{form_class.PREFIX}{r.id}")
            for r in rows}


@bp.get("/<int:case_id>")
@requires(*READERS)
def case_detail(case_id: int):
    case = _case_or_404(case_id)
    audit.record(AuditAction.READ, record_type="family_cases", record_id=case.id, summary=f"查閱個案 {case.case_no}")
    forms = None
    if request.args.get("document") == "too_large":  # the upload refused before it was read (document_too_large)
        form = DocumentForm(formdata=None)
        form.file.errors = [documents.too_large_message()]
        forms = {"document": form}
    response = _page(case, forms=forms)
    edge.commit()  # after rendering: committing first would expire what the page reads
    return response


@bp.get("/<int:case_id>/timeline")
@requires(*READERS)
def timeline(case_id: int):
    """Older entries of the family's timeline, a page at a time (``before``: the last entry shown); for htmx
    the entries alone, appended to the record's list."""
    case = _case_or_404(case_id)
    page = queries.timeline(case, url_int(request.args, "before"))
    return audit.read_page(lambda: render("cases/timeline.html", fragment="timeline_items", case=case,
                                          events=page.events, timeline_more=page.more),
                           record_type="family_cases", record_id=case.id, summary=f"查閱個案 {case.case_no} 較早歷程")


def _older(case: FamilyCase, page_of, name: str, heading: str, what: str, **context):
    """A page of one of the record's lists older than ``before`` (the last row shown); for htmx the rows
    alone, appended to the record's list. ``name``: the list's name in its partial (rows, ``<name>_more``)."""
    page = page_of(case, url_int(request.args, "before"))
    return audit.read_page(lambda: render(
        "cases/older.html", fragment="items", case=case, heading=heading, partial=f"cases/_{name}_items.html",
        items=page.items, **{f"{name}s": page.items, f"{name}s_more": page.more}, **context),
        record_type="family_cases", record_id=case.id, summary=f"查閱個案 {case.case_no} {what}")


@bp.get("/<int:case_id>/contacts/older")
@requires(*READERS)
def older_contacts(case_id: int):
    """Older visits and contacts, a page at a time."""
    case = _case_or_404(case_id)
    return _older(case, queries.contacts_page, "contact", "較早的訪視與聯繫", "較早的訪視紀錄",
                  members_by_id={m.id: m for m in case.members})


@bp.get("/<int:case_id>/notes/older")
@requires(*READERS)
def older_notes(case_id: int):
    """Older work notes, a page at a time."""
    return _older(_case_or_404(case_id), queries.notes_page, "note", "較早的工作紀錄", "較早的工作紀錄")


STALE = "此案剛被其他人更新；您的內容尚未儲存，仍保留在畫面上。請確認後再送出。"


def _act(case: FamilyCase, action, section: str, form=None):
    """Run one action at the edge; refusals (422, a stale edit 409) and races (409) come back as the
    page, the message beside its field too and the user's input still in the form."""

    def refused(exc):
        edge.beside_field(form, exc)
        return _page(_case_or_404(case.id), status=exc.status, error=str(exc), section=section,
                     forms={section: form} if form is not None else None, unsaved=_unsaved(form, section))

    return edge.act(action, refused, stale=STALE)


def _unsaved(form, section):
    """A refused form of a step the case may have moved past (its form no longer on the page): shown as typed."""
    return form if section in STATE_SECTIONS and form is not None and not form.errors else None


def _back(case, anchor):
    return redirect_to(url_for("cases.case_detail", case_id=case.id) + f"#{anchor}")


def _validated(form, case, message="請修正表單中的欄位。"):
    _choices(case, {"contact": form if isinstance(form, ContactForm) else ContactForm(formdata=None),
                    "vulnerability": form if isinstance(form, VulnerabilityForm) else VulnerabilityForm(formdata=None),
                    "safety": form if isinstance(form, SafetyForm) else SafetyForm(formdata=None),
                    "tipvda": form if isinstance(form, TipvdaForm) else TipvdaForm(formdata=None)},
             services.factor_table_in_force(), services.tipvda_in_force())
    _programme_choices(case, {key: form for key, cls in (("service", ServiceForm), ("target_group", TargetGroupForm),
                                                         ("removal", RemovalRequestForm)) if isinstance(form, cls)})
    if not form.validate():
        errors = form.error_sentence()
        raise services.CaseError(errors or message)
    return form


def _post(case_id: int, form_class, section: str, do):
    case = _case_or_404(case_id)
    form = form_class(request.form)
    return _act(case, lambda: do(case, _validated(form, case)), section, form)


@bp.post("/<int:case_id>/contacts")
@requires(Role.SOCIAL_WORKER, Role.SUPERVISOR)
def add_contact(case_id: int):
    def do(case, form):
        services.record_contact(
            case, current_user, g.membership,
            contacted_at=form.contacted_at.data.replace(tzinfo=TAIPEI).astimezone(timezone.utc),
            method=ContactMethod(form.method.data), duration_minutes=form.duration_minutes.data,
            persons_seen=form.persons_seen.data or [], child_seen=form.child_seen.data, note=form.note.data or "")
        flash("已記錄訪視。", "success")
        return _back(case, "contacts")

    return _post(case_id, ContactForm, "contact", do)


@bp.post("/<int:case_id>/vulnerability")
@requires(Role.SOCIAL_WORKER, Role.SUPERVISOR)
def assess_vulnerability(case_id: int):
    def do(case, form):
        services.assess_vulnerability(
            case, current_user, g.membership, dimensions=[form.first.data, form.second.data, form.third.data],
            factor_ids=form.factor_ids.data or [], override_level=Level(form.override_level.data) if form.override_level.data else None,
            override_reason=form.override_reason.data or "")
        flash("已儲存脆弱性評估。", "success")
        return _back(case, "assessment")

    return _post(case_id, VulnerabilityForm, "vulnerability", do)


@bp.post("/<int:case_id>/assessment-report")
@requires(Role.SOCIAL_WORKER, Role.SUPERVISOR)
def write_report(case_id: int):
    def do(case, form):
        services.write_assessment_report(case, current_user, g.membership, reason_confirmed=form.reason_confirmed.data,
                                         diagnosis=form.diagnosis.data, goals=form.goals.data,
                                         plan_proposal=form.plan_proposal.data)
        flash("已儲存評估報告。", "success")
        return _back(case, "assessment")

    return _post(case_id, AssessmentReportForm, "report", do)


@bp.post("/<int:case_id>/tipvda")
@requires(Role.SOCIAL_WORKER, Role.SUPERVISOR)
def tipvda(case_id: int):
    def do(case, form):
        values = [e.data for e in form.answers.entries]
        missing = [str(i + 1) for i, v in enumerate(values) if v not in ("0", "1")]
        if missing:
            raise services.CaseError(f"TIPVDA 需逐題回答；尚未回答第 {'、'.join(missing)} 題。")
        record = services.record_tipvda(case, current_user, g.membership, [v == "1" for v in values])
        flash(f"TIPVDA：{record.score} 分（{record.band}）。", "success")
        return _back(case, "assessment")

    return _post(case_id, TipvdaForm, "tipvda", do)


@bp.post("/<int:case_id>/safety")
@requires(Role.SOCIAL_WORKER, Role.SUPERVISOR)
def safety(case_id: int):
    def do(case, form):
        services.record_safety(case, current_user, g.membership, form.member_id.data, SafetyResult(form.result.data),
                               form.note.data or "")
        flash("已記錄 SDM 安全評估。", "success")
        return _back(case, "assessment")

    return _post(case_id, SafetyForm, "safety", do)


@bp.post("/<int:case_id>/decision")
@requires(Role.SOCIAL_WORKER, Role.SUPERVISOR)
def decision(case_id: int):
    def do(case, form):
        services.decide(case, current_user, g.membership, AssessmentOutcome(form.outcome.data), form.note.data or "")
        flash(f"評估結果：{case.outcome.label}。", "success")
        return _back(case, "status")

    return _post(case_id, DecisionForm, "decision", do)


@bp.post("/<int:case_id>/review")
@requires(Role.SUPERVISOR)
def review(case_id: int):
    def do(case, form):
        approve = form.decision.data == "approve"
        if case.status == CaseStatus.CLOSING_REVIEW:
            services.review_closing(case, current_user, g.membership, approve, form.comment.data or "")
        else:
            services.review_opening(case, current_user, g.membership, approve, form.comment.data or "")
        flash(f"已{'核准' if approve else '退回'}（{case.status.label}）。", "success")
        return _back(case, "status")

    return _post(case_id, ReviewForm, "review", do)


@bp.post("/<int:case_id>/closing")
@requires(Role.SOCIAL_WORKER, Role.SUPERVISOR)
def closing(case_id: int):
    def do(case, form):
        services.propose_closing(case, current_user, g.membership, form.reason.data,
                                 Level(form.closing_level.data) if form.closing_level.data else None)
        flash("已送出結案申請，待督導審核。", "success")
        return _back(case, "status")

    return _post(case_id, ClosingForm, "closing", do)


@bp.post("/<int:case_id>/reopen")
@requires(Role.SUPERVISOR)
def reopen(case_id: int):
    def do(case, form):
        services.reopen(case, current_user, g.membership, form.reason.data)
        flash("已重新開啟，歷程保留。", "success")
        return _back(case, "status")

    return _post(case_id, ReopenForm, "reopen", do)


@bp.post("/<int:case_id>/plans")
@requires(Role.SOCIAL_WORKER, Role.SUPERVISOR)
def add_plan(case_id: int):
    def do(case, form):
        services.add_plan(case, current_user, g.membership, goals=form.goals.data, agreed_by=form.agreed_by.data,
                          agreed_on=form.agreed_on.date, review_due=form.review_due.date)
        flash("已訂定服務計畫。", "success")
        return _back(case, "service")

    return _post(case_id, PlanForm, "plan", do)


@bp.post("/<int:case_id>/plans/<int:plan_id>/reviews")
@requires(Role.SOCIAL_WORKER, Role.SUPERVISOR)
def review_plan(case_id: int, plan_id: int):
    def do(case, form):
        plan = queries.plan_of(case, plan_id)
        if plan is None:
            abort(404)
        services.review_plan(case, plan, current_user, g.membership, note=form.note.data, next_review=form.next_review.date)
        flash("已記錄計畫檢討。", "success")
        return _back(case, "service")

    return _post(case_id, PlanReviewForm, "plan_review", do)


@bp.post("/<int:case_id>/services")
@requires(Role.SOCIAL_WORKER, Role.SUPERVISOR)
def add_service(case_id: int):
    def do(case, form):
        services.add_service(case, current_user, g.membership, item=form.item.data, status=ServiceStatus(form.status.data),
                             on=form.on.date, amount=form.amount.data, note=form.note.data or "")
        flash("已記錄服務。", "success")
        return _back(case, "service")

    return _post(case_id, ServiceForm, "service", do)


# --- 社安網2.0: target groups and 性影像移除 (the case's workers, as for the other case edits) -------------

@bp.post("/<int:case_id>/target-groups")
@requires(Role.SOCIAL_WORKER, Role.SUPERVISOR)
def mark_group(case_id: int):
    def do(case, form):
        mark = programme.mark_group(case, current_user, g.membership, group_code=form.group_code.data,
                                    since=form.since.date, member_id=form.member_id.data or None, note=form.note.data or "")
        flash(f"已註記服務對象：{catalogue.group_labels().get(mark.group_code, mark.group_code)}。", "success")
        return _back(case, "programme")

    return _post(case_id, TargetGroupForm, "target_group", do)


@bp.post("/<int:case_id>/image-removals")
@requires(Role.SOCIAL_WORKER, Role.SUPERVISOR)
def add_removal(case_id: int):
    def do(case, form):
        programme.add_removal_request(case, current_user, g.membership, platform=form.platform.data or "",
                                      asked_on=form.asked_on.date, outcome=RemovalOutcome(form.outcome.data),
                                      outcome_on=form.outcome_on.date, member_id=form.member_id.data or None,
                                      note=form.note.data or "")
        flash("已記錄性影像移除申請。", "success")
        return _back(case, "programme")

    return _post(case_id, RemovalRequestForm, "removal", do)


def _on_row(case_id: int, row_id: int, form_class, section: str, do):
    """A form of one row of the programme section (a mark, a removal request): validated, done through the
    request edge, or the page again with the message beside the field and what was typed."""
    case = _case_or_404(case_id)
    form = _ided(form_class(request.form), f"{form_class.PREFIX}{row_id}")

    def act():
        if not form.validate():
            raise services.CaseError(form.error_sentence() or "請修正表單中的欄位。")
        do(case, form)
        return _back(case, "programme")

    def refused(exc):
        edge.beside_field(form, exc)
        return _page(_case_or_404(case.id), status=exc.status, error=str(exc), section=section,
                     forms={section: (row_id, form)})

    return edge.act(act, refused, stale=STALE)


@bp.post("/<int:case_id>/target-groups/<int:mark_id>/end")
@requires(Role.SOCIAL_WORKER, Role.SUPERVISOR)
def end_group(case_id: int, mark_id: int):
    def do(case, form):
        mark = programme.end_group(case, current_user, g.membership, mark_id, ended_on=form.ended_on.date,
                                   reason=form.reason.data or "")
        flash(f"已結束服務對象註記：{catalogue.group_labels().get(mark.group_code, mark.group_code)}"
              f"（至 {roc_date(mark.ended_on, 'short')} 止）。", "success")

    return _on_row(case_id, mark_id, TargetGroupEndForm, "group_end", do)


@bp.post("/<int:case_id>/image-removals/<int:request_id>/outcome")
@requires(Role.SOCIAL_WORKER, Role.SUPERVISOR)
def removal_outcome(case_id: int, request_id: int):
    def do(case, form):
        programme.record_removal_outcome(case, current_user, g.membership, request_id,
                                         outcome=RemovalOutcome(form.outcome.data), outcome_on=form.outcome_on.date)
        flash("已記錄移除結果。", "success")

    return _on_row(case_id, request_id, RemovalOutcomeForm, "removal_outcome", do)


@bp.post("/<int:case_id>/image-removals/<int:request_id>/correction")
@requires(Role.SOCIAL_WORKER, Role.SUPERVISOR)
def correct_removal(case_id: int, request_id: int):
    def do(case, form):
        fix = programme.correct_removal_outcome(case, current_user, g.membership, request_id,
                                                outcome=RemovalOutcome(form.outcome.data),
                                                outcome_on=form.outcome_on.date, reason=form.reason.data or "")
        flash(f"已更正移除結果：由「{fix.old_outcome.label}」改為「{fix.new_outcome.label}」，原記錄保留於歷程。", "success")

    return _on_row(case_id, request_id, RemovalCorrectionForm, "removal_correction", do)


@bp.post("/<int:case_id>/notes")
@requires(Role.SOCIAL_WORKER, Role.SUPERVISOR)
def add_note(case_id: int):
    def do(case, form):
        services.add_note(case, current_user, g.membership, form.text.data)
        flash("已新增工作紀錄。", "success")
        return _back(case, "notes")

    return _post(case_id, NoteForm, "note", do)


@bp.post("/<int:case_id>/household")
@requires(Role.SOCIAL_WORKER, Role.SUPERVISOR)
def household(case_id: int):
    case = _case_or_404(case_id)
    form = HouseholdForm(request.form)

    def act():
        version = _version(form, required=True)
        members = {}
        for member in (m for m in case.members if m.is_current):  # a member who left keeps what was recorded
            members[member.id] = {"flags": request.form.getlist(f"member-{member.id}-flags"),
                                  "welfare_type": request.form.get(f"member-{member.id}-welfare_type") or None,
                                  "phone": request.form.get(f"member-{member.id}-phone", member.phone)}
            key = f"member-{member.id}-placement_ended_on"
            if key in request.form:
                try:
                    members[member.id]["placement_ended_on"] = parse_flexible_date(request.form[key])
                except ValueError as exc:
                    raise services.CaseError(f"{member.name or '成員'}的結束安置返家日期：{exc}") from None
        services.update_household(case, current_user, g.membership, version=version, address=form.address.data or "",
                                  phone=form.phone.data or "", members=members)
        flash("已更新案家資料。", "success")
        return _back(case, "household")

    return _act(case, act, "household", form)


# --- Household members: add, correct, end (the lead unit's workers and supervisors) ------------

def _household_case(case_id: int) -> FamilyCase:
    case = _case_or_404(case_id)
    if not services.can_edit_household(case, g.membership):
        abort(403)  # a 協力 unit reads the family record but does not change who is in the family
    return case


def _member_of(case: FamilyCase, member_id: int):
    member = next((m for m in case.members if m.id == member_id), None)
    if member is None:
        abort(404)  # another family's member, or none
    return member


def _household_act(case: FamilyCase, form, key, action):
    """Validate, run at the edge; a refusal comes back as the household section (htmx) or the page,
    422, the error beside its field and everything typed still in the form."""

    def refused(exc=None):
        return _page(_case_or_404(case.id), status=422, household={"override": {key: form}, "error": str(exc) if exc else None},
                     fragment="household" if wants_fragment() else "content")

    if not form.validate():
        return refused()
    return edge.act(lambda: action(form), refused, stale=STALE)


def _household_done(case: FamilyCase, anchor: str):
    """After a member action: the whole record again, with the message (redirect_to)."""
    return redirect_to(url_for("cases.case_detail", case_id=case.id) + f"#{anchor}")


def _flash_duplicates(matches) -> None:
    if matches:
        flash("可能重複，請確認是否為同一人：" + "；".join(
            f"{m.label}（{m.status}）：{'、'.join(m.reasons)}" for m in matches), "info")


@bp.post("/<int:case_id>/members")
@requires(Role.SOCIAL_WORKER, Role.SUPERVISOR)
def add_member(case_id: int):
    case = _household_case(case_id)

    def act(form):
        member, matches = services.add_member(
            case, current_user, g.membership, relation=Relation(form.relation.data), name=form.name.data,
            sex=Sex(form.sex.data), birth_date=form.birth_date.date, id_number=form.id_number.data or "",
            flags=form.flags.data or [], welfare_type=WelfareType(form.welfare_type.data) if form.welfare_type.data else None,
            phone=form.phone.data or "")
        flash(f"已新增成員 {member.name}（{member.relation.label}）。", "success")
        _flash_duplicates(matches)
        return _household_done(case, "household")

    return _household_act(case, _with_welfare(MemberForm(request.form)), "add", act)


@bp.post("/<int:case_id>/members/<int:member_id>/correct")
@requires(Role.SOCIAL_WORKER, Role.SUPERVISOR)
def correct_member(case_id: int, member_id: int):
    case = _household_case(case_id)
    member = _member_of(case, member_id)

    def act(form):
        matches = services.correct_member(case, current_user, g.membership, member, name=form.name.data,
                                          id_number=form.id_number.data or "", birth_date=form.birth_date.date,
                                          reason=form.reason.data)
        flash(f"已更正 {member.name} 的資料，原資料保留於成員歷程。", "success")
        _flash_duplicates(matches)
        return _household_done(case, f"member-{member.id}")

    return _household_act(case, MemberCorrectionForm(request.form), ("correct", member_id), act)


@bp.post("/<int:case_id>/members/<int:member_id>/end")
@requires(Role.SOCIAL_WORKER, Role.SUPERVISOR)
def end_member(case_id: int, member_id: int):
    case = _household_case(case_id)
    member = _member_of(case, member_id)

    def act(form):
        services.end_membership(case, current_user, g.membership, member, reason=MembershipEnd(form.reason.data),
                                on=form.ended_on.date, note=form.note.data or "")
        flash(f"{member.name}已列為「已離開」（{member.end_reason_label}），歷程保留。", "success")
        return _household_done(case, "former-members")

    return _household_act(case, MemberEndForm(request.form), ("end", member_id), act)


# --- Search and the worker's dashboard ---------------------------------------------

@bp.get("/search")
@requires(*READERS)
def search():
    form = SearchForm(request.args)
    workers = queries.unit_workers(g.membership.unit_id) if not queries.sees_whole_county(g.membership) else []
    form.worker_id.choices = [(0, "全部")] + [(w.id, w.display_name) for w in workers]
    pagination = None
    searched = any(v for k, v in request.args.items() if k != "page")
    if searched and form.validate():
        filters = queries.Filters(name=form.name.data or "", id_number=form.id_number.data or "",
                                  case_no=form.case_no.data or "", phone=form.phone.data or "",
                                  address=form.address.data or "", worker_id=form.worker_id.data or None,
                                  status=form.status.data or "", due=form.due.data or "")
        page = page_arg(request.args)
        pagination = db.paginate(queries.search_stmt(filters, g.membership), page=page, per_page=30, error_out=False)
        audit.record(AuditAction.READ, record_type="family_cases", summary="搜尋個案："
                     + "、".join(f"{k}={v}" for k, v in request.args.items() if v and k != "page")[:300])
    response = render("cases/search.html", fragment="results", form=form, pagination=pagination, searched=searched,
                      mask=queries.mask_id)
    edge.commit()  # the search's audit entry, after rendering
    return response


@bp.get("/mine")
@requires(Role.SOCIAL_WORKER, Role.SUPERVISOR, **SERVING)
def mine():
    now = utcnow()
    cases = db.session.scalars(queries.my_cases_stmt(current_user.id)).all()
    rows = [(c, deadlines.case_deadlines(c, now, services.next_plan_review(c))) for c in cases]
    due = [(c, d) for c, ds in rows for d in ds if d.state in ("overdue", "soon")]
    approvals = []
    if g.membership.role == Role.SUPERVISOR:
        approvals = db.session.scalars(queries.awaiting_my_approval_stmt(g.membership.unit_id)).all()
    activity = db.session.scalars(queries.recent_activity_stmt([c.id for c in cases] or [0])).all() if cases else []
    case_by_id = {c.id: c for c in cases}
    return render("cases/mine.html", rows=rows, due=due, approvals=approvals, activity=activity, case_by_id=case_by_id)


# --- Case documents ------------------------------------------------------------------------------

def _document_part(case: FamilyCase, override: dict | None) -> dict:
    """The documents section: the list (no bytes), who may delete which, and each delete form (the
    refused one as typed)."""
    listed = documents.case_documents(case)
    typed = (override or {}).get("document_delete")
    deletable = {d.id for d in listed if documents.may_delete(case, d, current_user, g.membership)}
    return {"case_documents": listed, "document_max": documents.max_bytes(),
            "document_max_label": documents.human_size(documents.max_bytes()), "human_size": documents.human_size,
            "document_delete_forms": {d.id: typed[1] if typed and typed[0] == d.id
                                      else _ided(DocumentDeleteForm(formdata=None), f"dx{d.id}") for d in listed
                                      if d.id in deletable}}


@bp.post("/<int:case_id>/documents")
@requires(Role.SOCIAL_WORKER, Role.SUPERVISOR)
def upload_document(case_id: int):
    def do(case, form):
        upload = request.files.get("doc-file")
        data = upload.stream.read(documents.max_bytes() + 1) if upload is not None else b""
        if upload is None or not upload.filename:
            raise documents.DocumentError("請選擇要上傳的檔案。")
        document = documents.upload(case, current_user, g.membership, kind=documents.DocumentKind(form.kind.data),
                                    description=form.description.data or "", filename=upload.filename, data=data)
        flash(f"已上傳文件「{document.filename}」（{document.file_type.label}，{documents.human_size(document.size)}）。",
              "success")
        return _back(case, "documents")

    return _post(case_id, DocumentForm, "document", do)


@bp.errorhandler(413)
def document_too_large(error):
    """A body over MAX_CONTENT_LENGTH is refused before it is read (so before the view): for the document
    form, back to the family record with the message; elsewhere the usual page."""
    if request.endpoint == "cases.upload_document" and request.view_args:
        # the message beside the file field of the record's form (the body was never read: nothing stored)
        return redirect_to(url_for("cases.case_detail", case_id=request.view_args["case_id"], document="too_large")
                           + "#upload-document")
    return render("errors/error.html", status=413, title="資料過大",
                  message="送出的資料超過系統可接受的大小，請縮短內容或分批送出。")


def _document_or_404(case: FamilyCase, document_id: int):
    document = documents.document_of_case(case, document_id)
    if document is None:
        abort(404)
    return document


@bp.get("/<int:case_id>/documents/<int:document_id>")
@requires(*READERS)
@edge.transaction
def document_download(case_id: int, document_id: int):
    case = _case_or_404(case_id)
    document = _document_or_404(case, document_id)
    data = documents.content_of(document)
    if data is None:
        abort(404)  # deleted (its row stays, listed as deleted) or missing from its store
    audit.record(AuditAction.READ, record_type="case_documents", record_id=document.id,
                 summary=f"下載案件文件 {case.case_no} {document.kind.label}「{document.filename}」")
    response = make_response(data)
    response.headers.update(documents.download_headers(document))
    return response


@bp.post("/<int:case_id>/documents/<int:document_id>/delete")
@requires(Role.SOCIAL_WORKER, Role.SUPERVISOR)
def delete_document(case_id: int, document_id: int):
    case = _case_or_404(case_id)
    document = _document_or_404(case, document_id)
    form = _ided(DocumentDeleteForm(request.form), f"dx{document.id}")

    def act():
        if not form.validate():
            raise services.CaseError(form.error_sentence(), field="reason")
        documents.delete(case, document, current_user, g.membership, form.reason.data)
        flash(f"已刪除文件「{document.filename}」，刪除理由已記錄。", "success")
        return _back(case, "documents")

    def refused(exc):
        edge.beside_field(form, exc, replace=True)
        return _page(_case_or_404(case.id), status=exc.status, error=str(exc), section="document_delete",
                     forms={"document_delete": (document.id, form)})

    return edge.act(act, refused, stale=STALE)
