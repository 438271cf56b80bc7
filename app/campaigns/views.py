"""Campaign pages: the ministry opens a campaign and keeps the rules; a county
administrator computes the county's visit list, sees why each family is on
it, ticks the indicators only a worker can judge, and sets the visiting unit."""
from __future__ import annotations

import json
from contextlib import nullcontext
from urllib.parse import urlsplit

from flask import Blueprint, abort, flash, g, request, url_for
from flask_login import current_user
from markupsafe import Markup, escape

from ..accounts.models import Role
from ..cases.models import FamilyCase
from ..cases.services import find_by_number
from ..core import edge, jobs, tenancy
from ..core.documents import DocumentStatus
from ..core.jobs import JobsUnavailable
from ..core.forms import page_arg, parse_amount, parse_flexible_date, too_long, url_int
from ..core.permissions import requires
from ..core.rendering import redirect_to, render
from ..extensions import db
from ..tenants.labels import unit_choices
from ..tenants.models import Unit
from ..tenants.services import active_county_units
from . import queries, services
from .forms import (
    CampaignForm,
    DutyForm,
    ImportForm,
    NetworkForm,
    RulesForm,
    TickForm,
    UnitForm,
)
from .models import (
    Campaign,
    CampaignVisit,
    DutyContact,
    RuleSet,
    VisitEntry,
    VisitMethod,
)

bp = Blueprint("campaigns", __name__, url_prefix="/campaigns")


def _index(form=None, error=None, status=200):
    ministry = g.membership.role == Role.MINISTRY_STAFF
    return render("campaigns/index.html", status=status, campaigns=queries.campaigns(), ministry=ministry,
                  form=form or (CampaignForm(formdata=None) if ministry else None), error=error,
                  rule_set=services.rules_in_force())


@bp.get("")
@requires(Role.MINISTRY_STAFF, Role.COUNTY_ADMIN)
def index():
    return _index()


@bp.post("")
@requires(Role.MINISTRY_STAFF)
def open_campaign():
    form = CampaignForm(request.form)
    if not form.validate():
        return _index(form, status=422)

    def opened(campaign: Campaign):
        flash(f"已開辦「{campaign.name}」，使用關懷對象規則第 {campaign.rule_set.version} 版。", "success")
        return redirect_to(url_for("campaigns.index"))

    return edge.act_then(
        lambda: services.open_campaign(form.name.data, form.holiday_start.date, form.holiday_end.date, current_user,
                                       starts_on=form.starts_on.date, ends_on=form.ends_on.date),
        opened, lambda error: _index(CampaignForm(request.form), error=str(error), status=422))


@bp.route("/rules", methods=["GET", "POST"])
@requires(Role.MINISTRY_STAFF)
def rules():
    if request.method == "POST":
        form = RulesForm(request.form)

        def save():
            if not form.validate():
                raise services.CampaignError("請填寫規則與說明。")
            return services.save_rules(form.rules.data, form.note.data, current_user)

        def saved(version: RuleSet):
            flash(f"已儲存關懷對象規則第 {version.version} 版；之後開辦的專案採用此版。", "success")
            return redirect_to(url_for("campaigns.rules"))

        return edge.act_then(save, saved, lambda error: _rules_page(form, services.rules_in_force(), str(error), 422))
    form, current = RulesForm(formdata=None), services.rules_in_force()
    form.rules.data = json.dumps(current.rules, ensure_ascii=False, indent=2)
    return _rules_page(form, current)


def _rules_page(form: RulesForm, current: RuleSet, error: str | None = None, status: int = 200):
    return render("campaigns/rules.html", status=status, form=form, error=error, current=current,
                  versions=queries.rule_versions())


def _campaign_or_404(campaign_id: int) -> Campaign:
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None:
        abort(404)
    return campaign


def _list_filters() -> dict:
    """The list's page and filters as asked (a wrong value is ignored, never an error page)."""
    args = request.args
    return {"page": page_arg(args), "unit_id": url_int(args, "unit") or None,
            "way": args.get("way", "") if args.get("way", "") in ("in_person", "phone") else "",
            "case_no": args.get("q", "")[:30]}


def _list_page(campaign: Campaign, error=None, status=200, network_form=None, imported=None):
    county_id = g.membership.county_id
    run = services.latest_run(campaign, county_id)
    filters = _list_filters()
    page = queries.county_list(campaign, county_id, latest_run=run, **filters)
    rule_set = page.rule_set
    labels = services.indicator_labels(rule_set)
    choices = unit_choices(services.visiting_unit_choices(county_id))
    manual_codes = [k for k in labels if k[0] in "12" and any(
        r["test"] == "manual" and f"{k[0]}{r['code']}" == k for r in rule_set.rules["level1" if k[0] == "1" else "level2"])]
    tick_form = TickForm(request.form) if request.method == "POST" and request.endpoint == "campaigns.tick" \
        else TickForm(formdata=None)
    tick_form.code.choices = [(c, f"{c}｜{labels[c]}") for c in manual_codes]
    # A refused form is not polled: the page reloading when the computation ends would lose what was typed.
    return render("campaigns/list.html", status=status, campaign=campaign, page=page, entries=page.entries,
                  labels=labels, counts=page.counts, ticks=page.ticks, filters=filters, run=run, poll=error is None,
                  progress=jobs.progress_of(run.job_id) if run is not None and run.state() == "busy" else None,
                  units=choices, unit_options=_options_with(choices), overlaps=services.overlaps(page.entries),
                  error=error, rule_set=rule_set,
                  tick_form=tick_form, unit_form=UnitForm(formdata=None),
                  network_form=network_form or NetworkForm(formdata=None), import_form=ImportForm(formdata=None),
                  imported=imported)


def _options_with(choices):
    """The visiting-unit options of a row, with its unit chosen. Each of the page's 50 rows offers the same
    units (a large county has dozens, with the partner branches serving it): written once, not by Jinja
    for every row (a third of the page's time)."""
    options = "".join(f'<option value="{uid}">{escape(label)}</option>' for uid, label in choices)

    def chosen(unit_id) -> Markup:
        return Markup(options.replace(f'<option value="{unit_id}">', f'<option value="{unit_id}" selected>', 1))

    return chosen


@bp.get("/<int:campaign_id>")
@requires(Role.COUNTY_ADMIN)
def county_list(campaign_id: int):
    return _list_page(_campaign_or_404(campaign_id))


def _computed_message(campaign: Campaign, run) -> str:
    return (f"已依規則第 {campaign.rule_set.version} 版計算：在案家庭 {run.families:,} 戶，列入 {run.listed:,} 戶"
            f"（新增 {run.added:,}、移除 {run.removed:,}；{run.seconds:.1f} 秒）。")


def _after_request_list(campaign: Campaign, run, asked: str):
    """Where a request to compute the list answers: the list, with what the computation found when it is done
    already (no job queue: it ran in the request), else with the computation's progress on top."""
    if run.status == DocumentStatus.DONE:
        flash(((asked + "；") if asked else "") + _computed_message(campaign, run), "success")
    elif run.state() == "busy":
        flash(((asked + "；") if asked else "") + "名單計算中，完成後此頁會自動更新。", "info")
    else:
        flash(((asked + "；") if asked else "") + f"名單計算失敗：{run.error[:200]}", "error")
    return redirect_to(_back_to_list(campaign))


def _back_to_list(campaign: Campaign) -> str:
    """The list as the user was looking at it (its filters and page) when they asked: the page htmx
    polled from, or the one the form was posted from; else the list's first page."""
    path = url_for("campaigns.county_list", campaign_id=campaign.id)
    for asked_from in (request.headers.get("HX-Current-URL", ""), request.referrer or ""):
        parts = urlsplit(asked_from)
        if parts.path == path:
            return path + (f"?{parts.query}" if parts.query else "")
    return path


@bp.post("/<int:campaign_id>/compute")
@requires(Role.COUNTY_ADMIN)
def compute(campaign_id: int):
    """Compute the county's list: a job (seconds of work at 100,000 open families), its progress shown."""
    campaign = _campaign_or_404(campaign_id)
    try:
        return edge.act_then(lambda: services.request_list(campaign, g.membership.county_id, current_user),
                             lambda run: _after_request_list(_campaign_or_404(campaign_id), run, ""),
                             lambda error: _refused_on_list(campaign_id, error))
    except JobsUnavailable as exc:  # the run is kept as failed; asking again queues a new one
        return _list_page(_campaign_or_404(campaign_id), error=str(exc), status=503)


@bp.get("/<int:campaign_id>/list-run")
@requires(Role.COUNTY_ADMIN)
def list_run(campaign_id: int):
    """The computation's progress (the list page polls it while a job runs); once it has ended, the list
    page again, whole, with what it found. Asked outside the page's polling (a link typed or kept, no
    JavaScript): the list page, which shows the progress itself."""
    campaign = _campaign_or_404(campaign_id)
    if not getattr(request, "htmx", None):
        return redirect_to(url_for("campaigns.county_list", campaign_id=campaign.id))
    run = services.latest_run(campaign, g.membership.county_id)
    if run is not None:
        services.reconcile_run(run)
    if run is not None and run.state() == "busy":
        return render("campaigns/list.html", fragment="run_status", campaign=campaign, run=run, poll=True,
                      progress=jobs.progress_of(run.job_id))
    if run is not None:
        return _after_request_list(campaign, run, "")
    return redirect_to(url_for("campaigns.county_list", campaign_id=campaign.id))


@bp.post("/<int:campaign_id>/entries/<int:entry_id>/unit")
@requires(Role.COUNTY_ADMIN)
def set_unit(campaign_id: int, entry_id: int):
    campaign = _campaign_or_404(campaign_id)
    entry = db.session.get(VisitEntry, entry_id)  # another county's: None
    form = UnitForm(request.form)
    unit = db.session.get(Unit, form.unit_id.data or 0)
    if entry is None or entry.campaign_id != campaign.id:
        abort(404)

    def assign():
        if unit is None:
            raise services.CampaignError("請選擇訪視單位。")
        services.set_visiting_unit(entry, unit)

    def done(_):
        flash(f"已將訪視單位改為 {unit.name}。", "success")
        return redirect_to(url_for("campaigns.county_list", campaign_id=campaign_id) + f"#entry-{entry_id}")

    return edge.act_then(assign, done, lambda error: _refused_on_list(campaign_id, error))


def _refused_on_list(campaign_id: int, error, **page):
    """A county administrator's action on the list refused: the list again with the reason (422)."""
    return _list_page(_campaign_or_404(campaign_id), error=str(error), status=422, **page)


def _county_case(case_no: str) -> FamilyCase:
    case = find_by_number(case_no)
    if case is None:  # another county's case is not found either
        raise services.CampaignError(f"找不到本縣市案號 {case_no.strip()} 的個案。")
    return case


@bp.post("/<int:campaign_id>/tick")
@requires(Role.COUNTY_ADMIN)
def tick(campaign_id: int):
    campaign = _campaign_or_404(campaign_id)
    form = TickForm(request.form)

    def tick_and_compute():
        if not form.validate():
            raise services.CampaignError("勾選此指標時請寫明個案案號與理由。")
        if services.computing(campaign, g.membership.county_id):
            raise services.CampaignError("名單正在計算中，請待計算完成後再勾選（您填寫的內容保留在右側）。")
        case = _county_case(form.case_no.data)
        services.tick(campaign, case, form.code.data, form.reason.data, current_user)
        return case, services.request_list(campaign, g.membership.county_id, current_user)

    def done(result):
        case, run = result
        return _after_request_list(_campaign_or_404(campaign_id), run, f"已勾選 {case.case_no} 的 {form.code.data}")

    try:
        return edge.act_then(tick_and_compute, done, lambda error: _refused_on_list(campaign_id, error))
    except JobsUnavailable as exc:  # the tick is kept (committed before the job was asked for)
        return _list_page(_campaign_or_404(campaign_id), error=f"已勾選；但{exc}", status=503)


@bp.post("/<int:campaign_id>/network")
@requires(Role.COUNTY_ADMIN)
def add_network(campaign_id: int):
    """One family from a network unit's list, by case number."""
    campaign = _campaign_or_404(campaign_id)
    form = NetworkForm(request.form)

    def add():
        if not form.validate():
            raise services.CampaignError("請填寫案號、網絡單位與理由。")
        case = _county_case(form.case_no.data)
        services.add_network_entry(campaign, g.membership.county_id, case, form.kind.data, form.reason.data, current_user)
        return case

    def added(case: FamilyCase):
        flash(f"已將 {case.case_no} 加入名單（網絡單位查訪）。", "success")
        return redirect_to(url_for("campaigns.county_list", campaign_id=campaign_id))

    return edge.act_then(add, added, lambda error: _refused_on_list(campaign_id, error,
                                                                    network_form=NetworkForm(request.form)))


@bp.post("/<int:campaign_id>/network/import")
@requires(Role.COUNTY_ADMIN)
def import_network(campaign_id: int):
    """A network unit's list as CSV: valid rows added, the others reported with their line and reason."""
    campaign = _campaign_or_404(campaign_id)
    upload = request.files.get("im-file")

    def import_rows():
        if upload is None or not upload.filename:
            raise services.CampaignError("請選擇要匯入的 CSV 檔。")
        data = upload.read(2 * 1024 * 1024 + 1)
        if len(data) > 2 * 1024 * 1024:
            raise services.CampaignError("檔案超過 2 MB，請分批匯入。")
        return services.import_network_csv(campaign, g.membership.county_id, data, current_user)

    return edge.act_then(  # the valid rows are kept even when others are refused (422: some lines to fix)
        import_rows, lambda result: _list_page(_campaign_or_404(campaign_id), imported=result,
                                               status=200 if result.added + result.updated else 422),
        lambda error: _refused_on_list(campaign_id, error))


# --- The visiting unit's side ------------------------------------------------------------------------

WORKERS = (Role.SOCIAL_WORKER, Role.SUPERVISOR, Role.PARTNER_STAFF)


def _is_partner() -> bool:
    return g.membership.role == Role.PARTNER_STAFF


@bp.get("/mine")
@requires(*WORKERS)
def mine():
    """The campaigns, each with how many families the worker's unit is to visit."""
    return render("campaigns/mine.html", campaigns=queries.campaigns(),
                  counts=queries.assigned_counts(g.membership.unit_id, partner=_is_partner()))


@bp.get("/<int:campaign_id>/visits")
@requires(*WORKERS)
def my_visits(campaign_id: int):
    campaign = _campaign_or_404(campaign_id)
    entries, visits = queries.my_visits(campaign, g.membership.unit_id, partner=_is_partner())
    labels = services.indicator_labels(db.session.get(RuleSet, campaign.rule_set_id))
    return render("campaigns/my_visits.html", campaign=campaign, entries=entries, visits=visits, labels=labels,
                  today=services.today(), partner=_is_partner())


def _entry_for_worker(campaign_id: int, entry_id: int) -> tuple[Campaign, VisitEntry]:
    campaign = _campaign_or_404(campaign_id)
    with queries.assigned_families(_is_partner()):
        entry = db.session.get(VisitEntry, entry_id)  # another county's: None (a partner's: checked below)
        if entry is None or entry.campaign_id != campaign.id or entry.visiting_unit_id != g.membership.unit_id:
            abort(404)
        entry.case  # loaded here, under the crossing  # noqa: B018
    return campaign, entry


@bp.route("/<int:campaign_id>/entries/<int:entry_id>/visit", methods=["GET", "POST"])
@requires(*WORKERS)
def record_visit(campaign_id: int, entry_id: int):
    campaign, entry = _entry_for_worker(campaign_id, entry_id)
    # A partner's staff write into the family's county, and only for this family assigned to their unit.
    with tenancy.tenant_scope(entry.tenant_id) if _is_partner() else nullcontext():
        return _record_visit(campaign, entry)


def _record_visit(campaign: Campaign, entry: VisitEntry):
    children = queries.children_of(entry, services.today())
    if request.method != "POST":
        return _visit_page(campaign, entry, children)
    campaign_id, entry_id = campaign.id, entry.id

    def recorded(visit: CampaignVisit):
        flash("已登錄訪視。" + ("發現的情形已成為新通報，送入篩派案中心。" if visit.new_report_id else ""), "success")
        return redirect_to(url_for("campaigns.my_visits", campaign_id=campaign_id) + f"#entry-{entry_id}")

    def refused(error):  # everything typed kept, the message beside the field it is about
        campaign_now, entry_now = _entry_for_worker(campaign_id, entry_id)
        return _visit_page(campaign_now, entry_now, queries.children_of(entry_now, services.today()), request.form,
                           str(error), error.field)

    return edge.act_then(lambda: services.record_visit(entry, current_user, g.membership,
                                                       **_visit_typed(campaign, children, request.form)),
                         recorded, refused)


def _visit_typed(campaign: Campaign, children, values) -> dict:
    """The visit as typed, checked and read (``services.record_visit``'s keywords); a refusal names its field."""
    try:
        visited_on = parse_flexible_date(values.get("visited_on", ""))
    except ValueError as exc:
        raise services.CampaignError(f"訪視日期：{exc}", field="visited_on") from None
    if visited_on is None:
        raise services.CampaignError("請填寫訪視日期。" + services.visit_date_message(campaign), field="visited_on")
    if not services.visit_date_allowed(campaign, visited_on):
        raise services.CampaignError(services.visit_date_message(campaign), field="visited_on")
    try:
        method = VisitMethod(values.get("method", ""))
    except ValueError:
        raise services.CampaignError("請選擇訪視方式。", field="method") from None
    texts = {"persons_seen": ("見到的人", 500), "needs": ("發現的需求", 2000), "referrals": ("轉介", 1000),
             "finding": ("發現疑似受虐或疏忽", 2000)}
    texts.update({f"child-{m.id}-note": (f"{m.name or '兒少'} 照顧情形說明", 500) for m, _ in children})
    for name, (label, maximum) in texts.items():
        message = too_long(values.get(name, ""), label, maximum)
        if message:  # refused with everything kept, never cut
            raise services.CampaignError(message, field=name)
    kids = [{"member_id": m.id, "name": m.name, "seen": bool(values.get(f"child-{m.id}-seen")),
             "care_ok": bool(values.get(f"child-{m.id}-care")), "note": values.get(f"child-{m.id}-note", "")}
            for m, _ in children]
    given = []
    try:
        amount = parse_amount(values.get("cash", ""), "急難紓困（元）")
    except ValueError as exc:
        raise services.CampaignError(str(exc), field="cash") from None
    if amount is not None:
        given.append({"kind": "emergency_cash", "amount": amount})
    for kind in ("in_kind", "meals"):
        if values.get(kind):
            given.append({"kind": kind})
    return {"visited_on": visited_on, "method": method, "persons_seen": values.get("persons_seen", ""),
            "children": kids, "needs": values.get("needs", ""), "services": given,
            "referrals": values.get("referrals", ""), "finding": values.get("finding", "")}


def _visit_page(campaign: Campaign, entry: VisitEntry, children, values=None, error: str | None = None,
                error_field: str | None = None):
    labels = services.indicator_labels(db.session.get(RuleSet, campaign.rule_set_id))
    return render("campaigns/visit.html", status=422 if error else 200, campaign=campaign, entry=entry,
                  children=children, values=values if values is not None else {}, error=error, labels=labels,
                  methods=list(VisitMethod), today=services.today(), partner=_is_partner(),
                  default_date=services.default_visit_date(campaign), error_field=error_field,
                  date_range=services.visit_date_range(campaign))


# --- Progress ------------------------------------------------------------------------------------------

@bp.get("/<int:campaign_id>/progress")
@requires(Role.COUNTY_ADMIN, Role.MINISTRY_STAFF)
def progress(campaign_id: int):
    """The county's progress by visiting unit and by day; for the ministry, every county's (counts only)."""
    campaign = _campaign_or_404(campaign_id)
    ministry = g.membership.role == Role.MINISTRY_STAFF
    if ministry:
        with tenancy.all_tenants("ministry: every county's campaign progress (counts only)"):
            figures = services.progress(campaign)
        names = queries.county_names()
    else:
        figures = services.progress(campaign, g.membership.county_id)
        names = queries.unit_names(figures["rows"])
    today = services.today()
    return render("campaigns/progress.html", campaign=campaign, figures=figures, names=names, ministry=ministry,
                  today=today, holiday_near=(campaign.holiday_start - today).days <= 7)


# --- The holiday duty roster -------------------------------------------------------------------------

def _duty_form(formdata=None) -> DutyForm:
    form = DutyForm(formdata=formdata) if formdata is not None else DutyForm(formdata=None)
    form.unit_id.choices = [(0, "（縣市整體）")] + unit_choices(active_county_units(g.membership.county_id))
    return form


def _roster_page(campaign: Campaign, form=None, error=None, status=200):
    ministry = g.membership.role == Role.MINISTRY_STAFF
    if ministry:
        with tenancy.all_tenants("ministry: every county's holiday duty roster (staff contacts, no families)"):
            lines = services.roster(campaign)
        counties = queries.active_counties()
    else:
        lines, counties = services.roster(campaign, g.membership.county_id), []
    by_county: dict = {}
    for line in lines:
        by_county.setdefault(line.tenant_id, []).append(line)
    return render("campaigns/roster.html", status=status, campaign=campaign, ministry=ministry, lines=lines,
                  by_county=by_county, counties=counties, form=form or (None if ministry else _duty_form()),
                  error=error)


@bp.get("/<int:campaign_id>/roster")
@requires(Role.COUNTY_ADMIN, Role.MINISTRY_STAFF)
def roster(campaign_id: int):
    return _roster_page(_campaign_or_404(campaign_id))


@bp.post("/<int:campaign_id>/roster")
@requires(Role.COUNTY_ADMIN)
def add_duty(campaign_id: int):
    campaign = _campaign_or_404(campaign_id)
    form = _duty_form(request.form)

    def add():
        if not form.validate():
            raise services.CampaignError("請修正標示的欄位。")
        unit = db.session.get(Unit, form.unit_id.data) if form.unit_id.data else None
        services.add_duty(campaign, g.membership.county_id, on_date=form.on_date.date, hours=form.hours.data or "",
                          unit=unit, person=form.person.data, phone=form.phone.data, note=form.note.data or "",
                          user=current_user)

    def added(_):
        flash("已加入值勤表。", "success")
        return redirect_to(url_for("campaigns.roster", campaign_id=campaign_id))

    return edge.act_then(add, added, lambda error: _roster_page(_campaign_or_404(campaign_id), form=form,
                                                               error=str(error), status=422))


@bp.post("/<int:campaign_id>/roster/<int:duty_id>/delete")
@requires(Role.COUNTY_ADMIN)
@edge.transaction
def delete_duty(campaign_id: int, duty_id: int):
    campaign = _campaign_or_404(campaign_id)
    line = db.session.get(DutyContact, duty_id)  # another county's: None
    if line is None or line.campaign_id != campaign.id:
        abort(404)
    db.session.delete(line)
    flash("已自值勤表移除。", "success")
    return redirect_to(url_for("campaigns.roster", campaign_id=campaign.id))
