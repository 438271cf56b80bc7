"""Report pages: the county administrator asks for a report, watches it being
made, previews, submits, corrects; the ministry sees who submitted what and
downloads the national table made from submitted figures."""
from __future__ import annotations

from flask import Blueprint, abort, flash, g, request, url_for
from flask_login import current_user

from ..core import calendar
from ..accounts.models import Role
from ..audit import services as audit
from ..audit.models import AuditAction
from ..core import edge, tenancy
from ..core.filters import roc_date, roc_datetime
from ..core.jobs import JobsUnavailable
from ..core.permissions import requires
from ..core.rendering import FILE_TYPES, file_response, redirect_to, render
from ..extensions import db
from ..meetings import queries as meeting_queries
from . import disclosure, exports, ministry, queries, services
from .forms import OverviewForm, RequestForm, parse_period, period_choices, period_token
from .models import ReportKind, ReportRun
from .periods import Period

bp = Blueprint("reports", __name__, url_prefix="/reports")


def _request_form(formdata=None) -> RequestForm:
    form = RequestForm(formdata=formdata) if formdata is not None else RequestForm(formdata=None)
    form.offer(calendar.today())
    return form


def _index(form=None, error=None, status=200):
    runs = queries.recent_runs(g.membership.county_id)
    meetings = meeting_queries.recent_meetings(g.membership.county_id)
    return render("reports/index.html", fragment="runs" if request.headers.get("HX-Request") and status == 200 else "content",
                  status=status, form=form or _request_form(), runs=runs, error=error, period_of=services.period_of,
                  meetings=meetings)


@bp.get("")
@requires(Role.COUNTY_ADMIN)
def index():
    return _index()


@bp.post("")
@requires(Role.COUNTY_ADMIN)
def request_report():
    form = _request_form(request.form)

    def ask():
        if not form.validate():
            raise services.ReportError("請選擇報表與期間。")
        period = form.chosen_period(calendar.today())  # None: the reason is beside the field
        if period is None:
            raise services.ReportError("報表期間有誤，請依欄位旁的說明修正。")
        try:
            return services.request(ReportKind(form.kind.data), period, current_user, g.membership.county_id,
                                    correction_note=form.correction_note.data or ""), period
        except ValueError as exc:  # a kind that does not exist, as the page says it
            raise services.ReportError(str(exc)) from None

    def asked(made):
        run, period = made
        flash(f"已開始產製{run.kind.label}（{period.label}，第 {run.version} 版）。", "success")
        return redirect_to(url_for("reports.detail", run_id=run.id))

    try:
        return edge.act_then(ask, asked, lambda error: _index(form, error=str(error), status=422))
    except JobsUnavailable as exc:  # the run is kept as failed, with a retry
        return _index(_request_form(request.form), error=str(exc), status=503)


def _run_or_404(run_id: int) -> ReportRun:
    run = db.session.get(ReportRun, run_id)  # another county's: None
    if run is None or run.tenant_id != g.membership.county_id:
        abort(404)
    return run


def _detail(run: ReportRun, error=None, status=200, confirm=None):
    derived = queries.derive(run.kind, run.figures) if run.figures else None
    period = services.period_of(run)
    siblings = services.versions(run.tenant_id, run.kind, period)
    form = _request_form()
    form.kind.data = run.kind.value
    form.show(period, calendar.today())
    return render("reports/detail.html", fragment="status" if request.headers.get("HX-Request") and status == 200 else "content",
                  status=status, run=run, period=period, derived=derived, error=error, versions=siblings,
                  tables=exports.tables(run.kind, derived) if derived else [], form=form,
                  latest=siblings[-1].id == run.id, confirm=confirm)


@bp.get("/<int:run_id>")
@requires(Role.COUNTY_ADMIN)
def detail(run_id: int):
    return _detail(services.reconcile(_run_or_404(run_id)))


@bp.post("/<int:run_id>/submit")
@requires(Role.COUNTY_ADMIN)
def submit(run_id: int):
    run = _run_or_404(run_id)
    running = services.period_running(run)
    acknowledged = request.form.get("acknowledge") == "1"
    if request.form.get("confirm") != "1" or (running and not acknowledged):
        # No confirmation yet (or the running period not acknowledged): say what will be frozen, act on nothing.
        try:
            services.check_submittable(run)
        except services.ReportError as exc:
            return _detail(run, error=str(exc), status=422)
        period = services.period_of(run)
        missing_ack = request.form.get("confirm") == "1"
        return _detail(run, status=422 if missing_ack else 200, confirm={
            "title": f"確認送出{run.kind.label}（{period.label}）第 {run.version} 版至衛生福利部？",
            "action": url_for("reports.submit", run_id=run.id), "cancel": url_for("reports.detail", run_id=run.id),
            "frozen": services.frozen_parts(run),
            "warning": (f"{period.label}尚未結束（{period.span}），期間仍在進行中。現在送出，數字立即凍結，"
                        "期間內之後登錄的資料不會納入，只能再以更正版補送。") if running else None,
            "ack": "我了解此期間仍在進行中，現在送出的數字會立即凍結" if running else None,
            "ack_error": "期間仍在進行中，請勾選確認後再送出。" if missing_ack else None})

    def submitted(_):
        flash(f"已送出{run.kind.label}第 {run.version} 版；PDF 與數據已凍結（SHA-256 {run.sha256[:12]}…）。", "success")
        return redirect_to(url_for("reports.detail", run_id=run_id))

    return edge.act_then(lambda: services.submit(run, current_user, running_acknowledged=acknowledged), submitted,
                         lambda error: _detail(_run_or_404(run_id), error=str(error), status=422))


@bp.post("/<int:run_id>/retry")
@requires(Role.COUNTY_ADMIN)
def retry(run_id: int):
    run = _run_or_404(run_id)

    def retried(_):
        flash("已重新產製。", "success")
        return redirect_to(url_for("reports.detail", run_id=run_id))

    try:
        return edge.act_then(lambda: services.retry(run, current_user), retried,
                             lambda error: _detail(_run_or_404(run_id), error=str(error), status=422))
    except JobsUnavailable as exc:
        return _detail(_run_or_404(run_id), error=str(exc), status=503)


def _file(data: bytes | None, fmt: str, name: str):
    if not data:
        abort(404)
    return file_response(data, name, fmt)


@bp.get("/<int:run_id>/file.<fmt>")
@requires(Role.COUNTY_ADMIN, Role.MINISTRY_STAFF)
@edge.transaction
def download(run_id: int, fmt: str):
    if fmt not in FILE_TYPES:
        abort(404)
    if g.membership.role == Role.MINISTRY_STAFF:
        with tenancy.all_tenants("ministry: a county's submitted report (counts only)"):
            run = db.session.get(ReportRun, run_id)
            county = run.county.name if run is not None else ""
        if run is None or not run.submitted:
            abort(404)
        # The ministry gets the county's submitted figures through the one disclosure rule, never the
        # county's own exact file (which would undo the masking of the national tables).
        period = services.period_of(run)
        head = services.heading(run, county, period) + [f"第 {run.version} 版，送出於 {roc_datetime(run.submitted_at)}"]
        pdf, xlsx, csv = services.ministry_documents(run.kind, period, [(county, run.figures)], head, formats=(fmt,))
        data = {"pdf": pdf, "xlsx": xlsx, "csv": csv}[fmt]
    else:
        run = _run_or_404(run_id)
        data = getattr(run, fmt)
    response = _file(data, fmt, f"report-{run.kind.value}-{run.period_start:%Y%m%d}-v{run.version}")
    audit.record(AuditAction.READ, record_type="report_runs", record_id=run.id, tenant_id=run.tenant_id,
                 summary=f"下載{run.kind.label}（{roc_date(run.period_start, 'short')} 起，第 {run.version} 版）{fmt.upper()}")
    return response


# --- The ministry ----------------------------------------------------------------------------

def _overview_period(default_only: bool = False) -> Period:
    token = None if default_only else request.args.get("period")
    if token:
        try:
            return parse_period(token)
        except ValueError:
            abort(404)
    choices = period_choices(calendar.today())
    return parse_period(next(t for t, label in choices if "進行中" not in label))


@bp.get("/submissions")
@requires(Role.MINISTRY_STAFF)
def submissions():
    today = calendar.today()
    form = OverviewForm(formdata=request.args if "year" in request.args else None, prefix="")
    form.offer(today)
    status = 200
    if "year" in request.args:  # the picker: a ROC year and its part, or a period from the list
        chosen = form.chosen_period(today)
        period, status = (chosen, 200) if chosen is not None else (_overview_period(default_only=True), 422)
    else:
        period = _overview_period()
    if status == 200:
        form.show(period, today)
    due = services.due_on(period)
    return render("reports/submissions.html", status=status, period=period, rows=services.overview(period),
                  kinds=services.due_kinds(period), form=form, due=due, late=today > due, token=period_token(period))


@bp.get("/national/<kind>")
@requires(Role.MINISTRY_STAFF)
def national_view(kind: str):
    """The national figures on screen: the sum of submitted versions, and a line per county."""
    try:
        report_kind = ReportKind(kind)
    except ValueError:
        abort(404)
    period = _overview_period()
    if report_kind not in services.due_kinds(period):
        abort(404)
    _, by_county, missing = services.national(report_kind, period)
    return render("reports/national.html", kind=report_kind, period=period, token=period_token(period),
                  tables=ministry.sheet(report_kind, by_county).publish(), missing=missing, submitted=len(by_county),
                  note=disclosure.NOTE)


@bp.get("/national/<kind>.<fmt>")
@requires(Role.MINISTRY_STAFF)
def national(kind: str, fmt: str):
    try:
        report_kind = ReportKind(kind)
    except ValueError:
        abort(404)
    if fmt not in ("pdf", "xlsx"):
        abort(404)
    period = _overview_period()
    if report_kind not in services.due_kinds(period):
        abort(404)
    pdf, xlsx, _ = services.national_documents(report_kind, period)
    return _file(pdf if fmt == "pdf" else xlsx, fmt, f"national-{kind}-{period.start:%Y%m%d}")
