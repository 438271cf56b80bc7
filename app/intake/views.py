"""The screening-and-dispatch centre: the queue, recording reports, deciding them,
today's figures; the county's dispatch deadlines and API tokens."""
from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, flash, g, request, url_for
from flask_login import current_user

from ..accounts.models import Role
from ..audit import services as audit
from ..core import edge
from ..core.errors import Stale
from ..core.filters import TAIPEI
from ..core.models import utcnow
from ..core.forms import page_arg
from ..core.permissions import requires
from ..core.rendering import form_error, redirect_to, render
from ..extensions import db
from ..household import blocks as household_blocks
from ..household import queries as household_queries
from ..tenants.labels import unit_choices
from ..tenants.models import County, UnitKind
from . import deadlines, queries, services
from .duplicates import find_possible_duplicates
from .form_data import local_to_utc, report_input_from
from .forms import (
    MAX_PERSONS,
    ApiTokenForm,
    DispatchForm,
    DispatchRuleForm,
    IntakeReportForm,
    ReferForm,
    ReleaseForm,
    ScreenOutForm,
    TransferForm,
)
from .models import ApiToken, ChildClass, ChildGrade, DispatchRule, InvalidReason, Report, ReportStatus
from .reference import Concern, ReportingChannel, tipvda, tipvda_band

bp = Blueprint("intake", __name__, url_prefix="/intake")

CENTRE = dict(unit_kinds=(UnitKind.DISPATCH_CENTRE,))
CENTRE_ROLES = (Role.DISPATCHER, Role.SUPERVISOR)


def _county() -> County:
    return g.membership.unit.county


def _report_or_404(report_id: int) -> Report:
    report = db.session.get(Report, report_id)  # tenant-scoped: another county's report is None
    if report is None:
        abort(404)
    return report


# --- Queue ----------------------------------------------------------------

@bp.get("/queue")
@requires(*CENTRE_ROLES, **CENTRE)
def queue():
    mine = request.args.get("mine") == "1"
    overdue_only = request.args.get("due") == "overdue"
    risk = request.args.get("risk", "")
    risk = risk if risk in queries.RISK_FILTERS else ""
    by_risk = request.args.get("sort") == "risk"
    page = page_arg(request.args)
    now = utcnow()
    stmt = queries.queue_stmt(mine_only_user_id=current_user.id if mine else None,
                              overdue_at=now if overdue_only else None, risk=risk, by_risk=by_risk)
    pagination = db.paginate(stmt, page=page, per_page=50, error_out=False)
    rows = [(r, deadlines.clock(r.received_at, r.deadline_at, now)) for r in pagination.items]
    return render("intake/queue.html", fragment="queue", rows=rows, pagination=pagination,
                  counts=queries.queue_counts(now), mine=mine, overdue_only=overdue_only, now=now, risk=risk,
                  by_risk=by_risk, risk_filters=queries.RISK_FILTERS,
                  flags=household_queries.flags_by_report([r.id for r, _ in rows]))


# --- Recording a report (hotline, fax, agencies) ---------------------------

def _intake_form(county: County) -> IntakeReportForm:
    form = IntakeReportForm()
    form.district_id.choices = [(0, "請選擇行政區")] + [(d.id, d.name) for d in queries.districts(county.id)]
    if request.method == "GET":
        form.received_at.data = utcnow().astimezone(TAIPEI).replace(tzinfo=None, second=0, microsecond=0)
    return form


@bp.route("/reports/new", methods=["GET", "POST"])
@requires(*CENTRE_ROLES, **CENTRE)
def report_new():
    county = _county()
    form = _intake_form(county)
    context = dict(form=form, county=county, max_persons=MAX_PERSONS, tipvda=tipvda())
    if request.method == "POST" and "add_person" in request.form:
        if len(form.persons.entries) < MAX_PERSONS:
            form.persons.append_entry()
        return render("intake/report_form.html", added=len(form.persons.entries), **context)
    if not form.validate_on_submit():
        if request.method == "POST":
            return form_error("intake/report_form.html", **context)
        return render("intake/report_form.html", **context)
    if not services.district_in_county(county.id, form.district_id.data):
        form.district_id.errors = ["請選擇本縣市的行政區。"]
        return form_error("intake/report_form.html", **context)
    answers = None
    if any(e.data in ("0", "1") for e in form.tipvda.entries):
        answers = [e.data == "1" for e in form.tipvda.entries]
    data = report_input_from(
        form, received_at=local_to_utc(form.received_at.data), learned_at=local_to_utc(form.learned_at.data),
        actions_taken=form.actions_taken.data or "", tipvda_answers=answers,
        victim_wishes=form.victim_wishes.data or "", source_name=(form.source_name.data or "").strip(),
    )
    report, _code = services.receive(county, data, ReportingChannel(form.channel.data), actor=current_user)
    edge.commit()
    flash(f"已受理通報 {report.report_no}，派案時限 {report.deadline_kind.label}。", "success")
    return redirect_to(url_for("intake.report_detail", report_id=report.id))


# --- One report: read, claim, decide --------------------------------------

def _decision_forms(report: Report, duplicates):
    county_units = queries.active_units(report.tenant_id, services.DISPATCHABLE)
    open_cases = [m for m in duplicates if m.kind == "case"]
    screen = ScreenOutForm(prefix="so")
    screen.duplicate_case_id.choices = [(0, "（不選）")] + [(m.id, m.label) for m in open_cases]
    dispatch = DispatchForm(prefix="d")
    dispatch.lead_unit_id.choices = [(0, "請選擇")] + unit_choices(county_units)
    dispatch.collaborator_ids.choices = unit_choices(county_units)
    dispatch.attach_case_id.choices = [(0, "開新案")] + [(m.id, f"併入 {m.label}") for m in open_cases]
    if open_cases:  # the household has open cases: the dispatcher chooses, nothing is preselected
        dispatch.attach_case_id.choices.insert(0, ("", "請選擇：開新案或併入既有個案"))
        if request.method == "GET":
            dispatch.attach_case_id.data = None
    if request.method == "GET":
        proposed = services.proposed_lead_unit(report)
        dispatch.lead_unit_id.data = proposed.id if proposed else 0
    transfer = TransferForm(prefix="t")
    transfer.county_id.choices = [(0, "請選擇")] + [(c.id, c.name) for c in queries.counties_except(report.tenant_id)]
    return {"screen_form": screen, "dispatch_form": dispatch, "refer_form": ReferForm(prefix="r"),
            "transfer_form": transfer, "release_form": ReleaseForm(prefix="rel")}


DECISION_FORMS = ("screen_form", "dispatch_form", "refer_form", "transfer_form", "release_form")


def _detail(report: Report, *, status: int = 200, error: str | None = None, forms: dict | None = None,
            open_decision: str | None = None):
    """``open_decision``: the decision whose form was refused (screen, dispatch, refer, transfer): the
    page opens that form, not 派案, with the message inside it and what was typed."""
    duplicates = find_possible_duplicates(report)
    context = _decision_forms(report, duplicates)
    context.update(forms or {})
    context["open_decision"] = open_decision or "dispatch"
    if error and not (report.status == ReportStatus.SCREENING and report.claimed_by_id == current_user.id):
        # the decision forms are gone from the page (someone else decided or holds it): show what was typed
        context["unsaved_forms"] = [context[k] for k in DECISION_FORMS]
    proposed = services.proposed_lead_unit(report)
    return render("intake/report_detail.html", repeats=queries.repeats_of(report), status=status, report=report, duplicates=duplicates,
                  clock=deadlines.clock(report.received_at, report.deadline_at, utcnow()), proposed=proposed,
                  route=services.investigation_route(report), error=error, tipvda=tipvda(), band=tipvda_band(report.tipvda_score),
                  concern_labels=report.concern_labels, household=household_blocks.for_report(report), **context)


@bp.get("/reports/<int:report_id>")
@requires(*CENTRE_ROLES, **CENTRE)
def report_detail(report_id: int):
    report = _report_or_404(report_id)
    return audit.read_page(lambda: _detail(report), record_type="reports", record_id=report.id,
                           summary=f"查閱通報 {report.report_no}（含通報人資料）")


def _act(report_id: int, action, decision: str | None = None):
    """Run a decision at the edge; a refusal (422) or a lost race (409) comes back as the page with a message. A decision
    form (``decision``) is built with the page's own choices, handed to the action, and comes back
    open with its errors and everything typed."""
    report = _report_or_404(report_id)
    forms = _decision_forms(report, find_possible_duplicates(report)) if decision else None

    def refused(exc):
        report = _report_or_404(report_id)
        if isinstance(exc, Stale):
            by = report.decided_by or report.claimed_by
            who = by.display_name if by else "其他人"
            return _detail(report, status=409,
                           error=f"此通報剛由 {who} 處理（目前：{report.status.label}），您的操作未儲存，請確認後再操作。")
        return _detail(report, status=exc.status, error=str(exc), forms=forms, open_decision=decision)

    return edge.act(lambda: action(report, forms) if decision else action(report), refused)


@bp.post("/reports/<int:report_id>/claim")
@requires(*CENTRE_ROLES, **CENTRE)
def report_claim(report_id: int):
    def act(report):
        services.claim(report, current_user)
        return redirect_to(url_for("intake.report_detail", report_id=report.id))

    return _act(report_id, act)


@bp.post("/reports/<int:report_id>/release")
@requires(*CENTRE_ROLES, **CENTRE)
def report_release(report_id: int):
    form = ReleaseForm(prefix="rel")

    def act(report):
        services.release(report, current_user, (form.note.data or "").strip())
        flash(f"已釋回通報 {report.report_no}。", "info")
        return redirect_to(url_for("intake.queue"))

    return _act(report_id, act)


@bp.post("/reports/<int:report_id>/screen-out")
@requires(*CENTRE_ROLES, **CENTRE)
def report_screen_out(report_id: int):
    def act(report, forms):
        form = forms["screen_form"]
        if not form.validate_on_submit():
            raise services.IntakeError(form.error_sentence())
        original = None
        if (form.duplicate_of.data or "").strip():
            original = queries.report_by_no(form.duplicate_of.data.strip())
            if original is None:
                message = f"本縣市查無通報編號 {form.duplicate_of.data.strip()}。"
                form.duplicate_of.errors = [message]
                raise services.IntakeError(message)
        services.screen_out(report, current_user, InvalidReason(form.reason.data), duplicate_of=original,
                            duplicate_case_id=form.duplicate_case_id.data or None, directed_to=form.directed_to.data or "", note=form.note.data or "")
        flash(f"通報 {report.report_no} 已判定無效（{report.invalid_reason.label}）。", "success")
        return redirect_to(url_for("intake.queue"))

    return _act(report_id, act, "screen")


@bp.post("/reports/<int:report_id>/dispatch")
@requires(*CENTRE_ROLES, **CENTRE)
def report_dispatch(report_id: int):
    def act(report, forms):
        form = forms["dispatch_form"]
        if not form.validate_on_submit():
            raise services.IntakeError(form.error_sentence())
        by_id = queries.units_by_id([form.lead_unit_id.data, *(form.collaborator_ids.data or [])])
        result = services.dispatch(
            report, current_user, by_id[form.lead_unit_id.data],
            collaborators=[by_id[i] for i in form.collaborator_ids.data or [] if i in by_id],
            child_grade=ChildGrade(form.child_grade.data) if form.child_grade.data else None,
            child_class=ChildClass(form.child_class.data) if form.child_class.data else None,
            attach_to_case_id=form.attach_case_id.data or None, note=form.note.data or "",
        )
        lead = by_id[form.lead_unit_id.data]
        flash(f"通報 {report.report_no} 已派案至 {lead.name}" +
              (f"（個案 {result.case_no}）。" if result is not None else "調查（調查後由中心派案服務）。"), "success")
        return redirect_to(url_for("intake.queue"))

    return _act(report_id, act, "dispatch")


@bp.post("/reports/<int:report_id>/refer")
@requires(*CENTRE_ROLES, **CENTRE)
def report_refer(report_id: int):
    def act(report, forms):
        form = forms["refer_form"]
        if not form.validate_on_submit():
            raise services.IntakeError(form.error_sentence())
        services.refer(report, current_user, form.referred_to.data, form.note.data or "")
        flash(f"通報 {report.report_no} 已轉介：{report.referred_to}。", "success")
        return redirect_to(url_for("intake.queue"))

    return _act(report_id, act, "refer")


@bp.post("/reports/<int:report_id>/transfer")
@requires(*CENTRE_ROLES, **CENTRE)
def report_transfer(report_id: int):
    def act(report, forms):
        form = forms["transfer_form"]
        if not form.validate_on_submit():
            raise services.IntakeError(form.error_sentence())
        county = db.session.get(County, form.county_id.data)
        services.transfer(report, current_user, county, form.note.data or "")
        flash(f"通報 {report.report_no} 已移轉至 {county.name}。", "success")
        return redirect_to(url_for("intake.queue"))

    return _act(report_id, act, "transfer")


# --- Today's figures ------------------------------------------------------

def _dispatch_centre_or_county(membership) -> bool:
    return membership.role == Role.COUNTY_ADMIN or membership.unit.kind == UnitKind.DISPATCH_CENTRE


@bp.get("/figures")
@requires(Role.SUPERVISOR, Role.DISPATCHER, Role.COUNTY_ADMIN, when=_dispatch_centre_or_county)
def figures():
    unit = g.membership.unit
    day = utcnow().astimezone(TAIPEI).date()
    requested = request.args.get("day")
    if requested:
        try:
            day = date.fromisoformat(requested)
        except ValueError:
            pass
    return render("intake/figures.html", figures=queries.day_figures(day), day=day, county=unit.county)


# --- County settings: dispatch deadlines, API tokens ------------------------

@bp.route("/settings/deadlines", methods=["GET", "POST"])
@requires(Role.COUNTY_ADMIN)
def deadline_rules():
    form = DispatchRuleForm()
    rules = queries.dispatch_rules()
    if request.method == "GET":
        form.urgent_concerns.data = list(deadlines.NATIONAL_DEFAULT.urgent_concerns)
    if form.validate_on_submit():
        rule = DispatchRule(
            effective_from=form.effective_from.date, urgent_hours=form.urgent_hours.data,
            other_days=form.other_days.data, other_in_working_days=form.other_in_working_days.data,
            tipvda_threshold=form.tipvda_threshold.data, urgent_concerns=sorted(set(form.urgent_concerns.data or []) | set(deadlines.STATUTORY_24_HOUR)),
            urgent_flag_counts=form.urgent_flag_counts.data, note=(form.note.data or "").strip(),
            referral_response_days=form.referral_response_days.data, dispute_response_days=form.dispute_response_days.data,
            dispute_decision_days=form.dispute_decision_days.data,
        )
        db.session.add(rule)
        edge.commit()
        flash(f"已新增自 {rule.effective_from} 起生效的派案時限。", "success")
        return redirect_to(url_for("intake.deadline_rules"))
    if request.method == "POST":
        return form_error("intake/deadline_rules.html", form=form, rules=rules, default=deadlines.NATIONAL_DEFAULT,
                          sources=deadlines.SOURCES, concern_label=dict(Concern.choices()))
    return render("intake/deadline_rules.html", form=form, rules=rules, default=deadlines.NATIONAL_DEFAULT,
                  sources=deadlines.SOURCES, concern_label=dict(Concern.choices()))


hash_token = services.hash_token  # the tests make tokens with it


@bp.route("/settings/api-tokens", methods=["GET", "POST"])
@requires(Role.COUNTY_ADMIN)
def api_tokens():
    form = ApiTokenForm()
    tokens = queries.api_tokens()
    if form.validate_on_submit():
        record, token = services.issue_api_token(form.organisation.data.strip(),
                                                 ReportingChannel(form.channel.data), current_user.id)
        edge.commit()
        return render("intake/api_tokens.html", form=ApiTokenForm(formdata=None), tokens=[record, *tokens],
                      new_token=token, new_record=record)
    if request.method == "POST":
        return form_error("intake/api_tokens.html", form=form, tokens=tokens, new_token=None)
    return render("intake/api_tokens.html", form=form, tokens=tokens, new_token=None)


@bp.post("/settings/api-tokens/<int:token_id>/revoke")
@requires(Role.COUNTY_ADMIN)
def api_token_revoke(token_id: int):
    token = db.session.get(ApiToken, token_id)
    if token is None:
        abort(404)
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        edge.commit()
        flash(f"已撤銷 {token.organisation} 的 API 金鑰。", "success")
    return redirect_to(url_for("intake.api_tokens"))
