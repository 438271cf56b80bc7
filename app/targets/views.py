"""The target board: a county's own figures (exact) beside the nation's (the disclosure rule's),
the ministry's per-county and national aggregates, a county's drill-down to the families behind
a gap, and the county administrator's entry of the denominators that live outside the platform."""
from __future__ import annotations

from flask import Blueprint, abort, flash, g, request, url_for
from flask_login import current_user

from ..accounts.models import Role
from ..audit import services as audit
from ..audit.models import AuditAction
from ..core import calendar, edge, jobs
from ..core.models import utcnow
from ..core.permissions import requires
from ..core.rendering import redirect_to, render
from ..reports import disclosure
from . import board as figures
from . import services, snapshot
from .charts import target_chart
from ..reports.forms import part_of
from ..reports.models import PeriodKind
from ..reports.periods import PER_YEAR, Period
from .forms import PART_KINDS, BoardPeriodForm, DenominatorForm
from .registry import YEARS

bp = Blueprint("targets", __name__, url_prefix="/targets")

COUNTY_STAFF = (Role.SOCIAL_WORKER, Role.SUPERVISOR, Role.DISPATCHER, Role.UNIT_ADMIN, Role.COUNTY_ADMIN)
WHOLE_COUNTY = (Role.COUNTY_ADMIN, Role.DISPATCHER)  # the county's administrator and its screening centre


def _board_periods(period: Period, today) -> list[Period]:
    """What the board draws for the chosen period: the programme's years for a year (the chart shows
    115–119), the year's halves or quarters for a half or a quarter, the month alone for a month."""
    if period.kind == PeriodKind.YEAR:
        return figures.board_periods(today)
    if period.kind in (PeriodKind.HALF, PeriodKind.QUARTER):
        return [Period.of(period.kind, period.start.year, n) for n in range(1, PER_YEAR[period.kind] + 1)]
    return [period]


def _board_rows(board: figures.Board, county_id: int | None):
    """Per measure: its chart, its cells (the county's, exact) and the published lines per year."""
    out = []
    names = [board.names[c] for c in board.by_county]
    for m in figures.measures():
        published = []
        for i, period in enumerate(board.periods):
            lines = [(board.names[cid], cells[m.code][i]) for cid, cells in board.by_county.items()]
            published.append(figures.published(m, period, lines, board.national[m.code][i]))
        national = [p[-1] for p in published]
        years = [p.label for p in board.periods]
        targets = [m.target(figures.roc_year_of(p)) for p in board.periods]
        notes = ["尚未開始" if not c.started else (figures.NO_DENOMINATOR if c.no_denominator else "")
                 for c in board.national[m.code]]
        own = board.by_county[county_id][m.code] if county_id is not None else None
        series = ([(board.names[county_id], [c.rate for c in own])] if own else []) + [("全國", [n.value for n in national])]
        if own:
            notes = ["尚未開始" if not c.started else (figures.NO_DENOMINATOR if c.no_denominator else "") for c in own]
        out.append({"measure": m, "own": own, "national": national, "national_cells": board.national[m.code], "by_year": published, "names": names,
                    "chart": target_chart(m.label, years, series, targets, notes)})
    return out


@bp.get("")
@requires(*COUNTY_STAFF, Role.MINISTRY_STAFF)
def board():
    today = calendar.today()
    as_of = utcnow()
    is_ministry = g.membership.role == Role.MINISTRY_STAFF
    county_id = None if is_ministry else g.membership.county_id
    current = figures.year_period(min(max(today.year - figures.ROC_OFFSET, YEARS[0]), YEARS[-1]))
    form = BoardPeriodForm(request.args)
    if not request.args.get("year") and not request.args.get("part"):
        form.year.data, form.part.data = str(current.roc_year), "year"
    period = form.chosen_period(today) or current  # a wrong choice: said beside the field, this year shown
    status = 422 if form.errors else 200
    computed = figures.compute(today, _board_periods(period, today))
    index = computed.periods.index(period)
    return render("targets/board.html", rows=_board_rows(computed, county_id), periods=computed.periods,
                  county_name=None if is_ministry else computed.names.get(county_id), county_id=county_id,
                  ministry=is_ministry, period=period, index=index, as_of=computed.as_of(county_id), national_as_of=computed.as_of(), now=as_of,
                  live=computed.live_periods, form=form, part_of=part_of, status=status,
                  note=disclosure.NOTE, can_enter=g.membership.role == Role.COUNTY_ADMIN)


@bp.post("/refresh")
@requires(Role.COUNTY_ADMIN)
@edge.transaction
def refresh():
    """The county administrator asks for their own county's figures to be computed again now (a job)."""
    county_id = g.membership.county_id
    try:
        job = jobs.enqueue(snapshot.refresh_county, county_id, current_user.id, job_timeout=1800)
    except jobs.JobsUnavailable as exc:
        flash(str(exc), "danger")
        return redirect_to(url_for("targets.board"))
    audit.record(AuditAction.UPDATE, record_type="target_snapshot", record_id=None, tenant_id=county_id,
                 summary="目標看板：要求重新計算本縣市快照")
    if getattr(job, "error", None):
        flash("重新計算失敗，請稍後再試；原有快照不受影響。", "danger")
    else:
        flash("已排入計算：完成後看板的資料時點即更新。", "success")
    return redirect_to(url_for("targets.board", **request.args))


@bp.get("/<int:county_id>/<code>/<int:roc_year>")
@requires(*COUNTY_STAFF)
@edge.transaction
def gap(county_id: int, code: str, roc_year: int):
    """The families behind a figure's gap: the county's own only (another county's URL is 404)."""
    measure = figures.measure_or_none(code)
    kind_number = PART_KINDS.get(request.args.get("part", "year"))
    if (county_id != g.membership.county_id or measure is None or measure.gap is None or roc_year not in YEARS
            or kind_number is None):
        abort(404)
    period = Period.of_roc(kind_number[0], roc_year, kind_number[1])
    today = calendar.today()
    if period.start > today:
        abort(404)
    rows = measure.gap(county_id, period.start, period.end)
    whole_county = g.membership.role in WHOLE_COUNTY
    if not whole_county:  # a unit's staff see the families their unit serves
        rows = services.served_by(g.membership.unit_id, rows)
    cell = figures.compute(today, [period], only=county_id).by_county[county_id][code][0]
    audit.record(AuditAction.READ, record_type="target_gap", record_id=None, tenant_id=county_id,
                 summary=f"查閱目標看板缺口名單：{measure.label}（{period.label}，{len(rows)} 筆）")
    return render("targets/gap.html", measure=measure, roc_year=roc_year, period=period, rows=rows, cell=cell, as_of=utcnow(),
                  whole_county=whole_county)


def _denominators_page(form, status=200):
    external = [m for m in figures.measures() if m.external_denominator]
    return render("targets/denominators.html", form=form, external=external, status=status,
                  rows=services.entered(g.membership.county_id), labels={m.code: m.label for m in figures.measures()})


def _form(formdata=None) -> DenominatorForm:
    form = DenominatorForm(formdata=formdata)
    form.measure.choices = [("", "請選擇")] + [(m.code, m.label) for m in figures.measures() if m.external_denominator]
    return form


@bp.get("/denominators")
@requires(Role.COUNTY_ADMIN)
def denominators():
    return _denominators_page(_form())


@bp.post("/denominators")
@requires(Role.COUNTY_ADMIN)
def save_denominator():
    form = _form(request.form)
    if not form.validate():
        return _denominators_page(form, status=422)

    def save():
        return services.save_denominator(g.membership.county_id, current_user, form.measure.data, form.year_number,
                                         form.value_number, form.source.data)

    def saved(row):
        flash(f"已儲存 {row.roc_year} 年「{figures.MEASURES[row.measure_code].label}」分母 {row.value:,}（{row.source}）。", "success")
        return redirect_to(url_for("targets.denominators"))

    def refused(error):
        edge.beside_field(form, error)
        return _denominators_page(form, status=422)

    return edge.act_then(save, saved, refused)
