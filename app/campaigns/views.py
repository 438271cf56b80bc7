"""Campaign pages: the ministry opens a campaign and keeps the rules; a county
administrator computes the county's visit list, sees why each family is on
it, ticks the indicators only a worker can judge, and sets the visiting unit."""
from __future__ import annotations

import json
from contextlib import contextmanager, nullcontext

import sqlalchemy as sa
from flask import Blueprint, abort, flash, g, request, url_for
from flask_login import current_user

from ..accounts.models import Role
from ..cases.models import CaseMember, FamilyCase
from ..cases.services import find_by_number
from ..core import tenancy
from ..core.forms import parse_amount, parse_flexible_date, too_long
from ..core.permissions import requires
from ..core.rendering import redirect_to, render
from ..extensions import db
from ..tenants.labels import unit_choices
from ..tenants.models import County, Unit
from ..tenants.services import active_county_units
from . import services
from .forms import CampaignForm, DutyForm, ImportForm, NetworkForm, RulesForm, TickForm, UnitForm
from .models import Campaign, CampaignVisit, DutyContact, ManualIndicator, RuleSet, VisitEntry, VisitMethod

bp = Blueprint("campaigns", __name__, url_prefix="/campaigns")


def _index(form=None, error=None, status=200):
    campaigns = db.session.scalars(sa.select(Campaign).order_by(Campaign.holiday_start.desc())).all()
    ministry = g.membership.role == Role.MINISTRY_STAFF
    return render("campaigns/index.html", status=status, campaigns=campaigns, ministry=ministry,
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
    try:
        campaign = services.open_campaign(form.name.data, form.holiday_start.date, form.holiday_end.date, current_user,
                                          starts_on=form.starts_on.date, ends_on=form.ends_on.date)
    except services.CampaignError as exc:
        db.session.rollback()
        return _index(CampaignForm(request.form), error=str(exc), status=422)
    db.session.commit()
    flash(f"已開辦「{campaign.name}」，使用關懷對象規則第 {campaign.rule_set.version} 版。", "success")
    return redirect_to(url_for("campaigns.index"))


@bp.route("/rules", methods=["GET", "POST"])
@requires(Role.MINISTRY_STAFF)
def rules():
    current = services.rules_in_force()
    form = RulesForm(request.form) if request.method == "POST" else RulesForm(formdata=None)
    error, status = None, 200
    if request.method == "POST":
        try:
            if not form.validate():
                raise services.CampaignError("請填寫規則與說明。")
            version = services.save_rules(form.rules.data, form.note.data, current_user)
            db.session.commit()
            flash(f"已儲存關懷對象規則第 {version.version} 版；之後開辦的專案採用此版。", "success")
            return redirect_to(url_for("campaigns.rules"))
        except services.CampaignError as exc:
            db.session.rollback()
            error, status = str(exc), 422
            current = services.rules_in_force()
    else:
        form.rules.data = json.dumps(current.rules, ensure_ascii=False, indent=2)
    versions = db.session.scalars(sa.select(RuleSet).order_by(RuleSet.version.desc())).all()
    return render("campaigns/rules.html", status=status, form=form, error=error, current=current, versions=versions)


def _campaign_or_404(campaign_id: int) -> Campaign:
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None:
        abort(404)
    return campaign


def _list_page(campaign: Campaign, error=None, status=200, network_form=None, imported=None):
    county_id = g.membership.county_id
    entries = db.session.scalars(sa.select(VisitEntry).where(VisitEntry.campaign_id == campaign.id)
                                 .order_by(VisitEntry.in_person.desc(), VisitEntry.case_id)).all()
    rule_set = db.session.get(RuleSet, campaign.rule_set_id)
    labels = services.indicator_labels(rule_set)
    counts = {}
    for e in entries:
        for code in e.indicators:
            counts[code] = counts.get(code, 0) + 1
    units = services.visiting_unit_choices(county_id)
    manual_codes = [k for k in labels if k[0] in "12" and any(
        r["test"] == "manual" and f"{k[0]}{r['code']}" == k for r in rule_set.rules["level1" if k[0] == "1" else "level2"])]
    tick_form = TickForm(formdata=None)
    tick_form.code.choices = [(c, f"{c}｜{labels[c]}") for c in manual_codes]
    if tick_form is not None and request.method == "POST" and request.endpoint == "campaigns.tick":
        tick_form = TickForm(request.form)
        tick_form.code.choices = [(c, f"{c}｜{labels[c]}") for c in manual_codes]
    ticks: dict = {}
    for mark in db.session.scalars(sa.select(ManualIndicator).where(ManualIndicator.campaign_id == campaign.id)):
        ticks.setdefault(mark.case_id, {})[mark.code] = mark.reason
    return render("campaigns/list.html", status=status, campaign=campaign, entries=entries, labels=labels, counts=counts,
                  ticks=ticks,
                  units=unit_choices(units), overlaps=services.overlaps(entries), error=error, rule_set=rule_set,
                  tick_form=tick_form, unit_form=UnitForm(formdata=None),
                  network_form=network_form or NetworkForm(formdata=None), import_form=ImportForm(formdata=None),
                  imported=imported)


@bp.get("/<int:campaign_id>")
@requires(Role.COUNTY_ADMIN)
def county_list(campaign_id: int):
    return _list_page(_campaign_or_404(campaign_id))


@bp.post("/<int:campaign_id>/compute")
@requires(Role.COUNTY_ADMIN)
def compute(campaign_id: int):
    campaign = _campaign_or_404(campaign_id)
    result = services.compute_list(campaign, g.membership.county_id)
    db.session.commit()
    flash(f"已依規則第 {campaign.rule_set.version} 版計算：在案家庭 {result['families']} 戶，列入 {result['listed']} 戶"
          f"（新增 {result['added']}、移除 {result['removed']}）。", "success")
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
    try:
        if unit is None:
            raise services.CampaignError("請選擇訪視單位。")
        services.set_visiting_unit(entry, unit)
    except services.CampaignError as exc:
        db.session.rollback()
        return _list_page(_campaign_or_404(campaign_id), error=str(exc), status=422)
    db.session.commit()
    flash(f"已將訪視單位改為 {unit.name}。", "success")
    return redirect_to(url_for("campaigns.county_list", campaign_id=campaign.id) + f"#entry-{entry.id}")


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
    try:
        if not form.validate():
            raise services.CampaignError("勾選此指標時請寫明個案案號與理由。")
        case = _county_case(form.case_no.data)
        services.tick(campaign, case, form.code.data, form.reason.data, current_user)
        services.compute_list(campaign, g.membership.county_id)
    except services.CampaignError as exc:
        db.session.rollback()
        return _list_page(_campaign_or_404(campaign_id), error=str(exc), status=422)
    db.session.commit()
    flash(f"已勾選 {case.case_no} 的 {form.code.data} 並重新計算名單。", "success")
    return redirect_to(url_for("campaigns.county_list", campaign_id=campaign.id))


@bp.post("/<int:campaign_id>/network")
@requires(Role.COUNTY_ADMIN)
def add_network(campaign_id: int):
    """One family from a network unit's list, by case number."""
    campaign = _campaign_or_404(campaign_id)
    form = NetworkForm(request.form)
    try:
        if not form.validate():
            raise services.CampaignError("請填寫案號、網絡單位與理由。")
        case = _county_case(form.case_no.data)
        services.add_network_entry(campaign, g.membership.county_id, case, form.kind.data, form.reason.data, current_user)
    except services.CampaignError as exc:
        db.session.rollback()
        return _list_page(_campaign_or_404(campaign_id), error=str(exc), status=422, network_form=NetworkForm(request.form))
    db.session.commit()
    flash(f"已將 {case.case_no} 加入名單（網絡單位查訪）。", "success")
    return redirect_to(url_for("campaigns.county_list", campaign_id=campaign.id))


@bp.post("/<int:campaign_id>/network/import")
@requires(Role.COUNTY_ADMIN)
def import_network(campaign_id: int):
    """A network unit's list as CSV: valid rows added, the others reported with their line and reason."""
    campaign = _campaign_or_404(campaign_id)
    upload = request.files.get("im-file")
    try:
        if upload is None or not upload.filename:
            raise services.CampaignError("請選擇要匯入的 CSV 檔。")
        data = upload.read(2 * 1024 * 1024 + 1)
        if len(data) > 2 * 1024 * 1024:
            raise services.CampaignError("檔案超過 2 MB，請分批匯入。")
        result = services.import_network_csv(campaign, g.membership.county_id, data, current_user)
    except services.CampaignError as exc:
        db.session.rollback()
        return _list_page(_campaign_or_404(campaign_id), error=str(exc), status=422)
    db.session.commit()
    return _list_page(_campaign_or_404(campaign_id), imported=result, status=200 if result.added + result.updated else 422)


# --- The visiting unit's side ------------------------------------------------------------------------

WORKERS = (Role.SOCIAL_WORKER, Role.SUPERVISOR, Role.PARTNER_STAFF)


def _is_partner() -> bool:
    return g.membership.role == Role.PARTNER_STAFF


@contextmanager
def _assigned_families():
    """A partner organisation's staff act for no county: the families assigned to their unit are read
    across counties through this one named crossing (every query under it filters on the visiting unit),
    and nothing else of the county is visible to them."""
    if _is_partner():
        with tenancy.all_tenants("partner visiting unit: the families assigned to it"):
            yield
    else:
        yield


@bp.get("/mine")
@requires(*WORKERS)
def mine():
    """The campaigns, each with how many families the worker's unit is to visit."""
    campaigns = db.session.scalars(sa.select(Campaign).order_by(Campaign.holiday_start.desc())).all()
    with _assigned_families():
        counts = dict(db.session.execute(sa.select(VisitEntry.campaign_id, sa.func.count(VisitEntry.id)).where(
            VisitEntry.visiting_unit_id == g.membership.unit_id).group_by(VisitEntry.campaign_id)).all())
    return render("campaigns/mine.html", campaigns=campaigns, counts=counts)


@bp.get("/<int:campaign_id>/visits")
@requires(*WORKERS)
def my_visits(campaign_id: int):
    campaign = _campaign_or_404(campaign_id)
    with _assigned_families():
        entries = db.session.scalars(sa.select(VisitEntry).options(sa.orm.joinedload(VisitEntry.case)).where(
            VisitEntry.campaign_id == campaign.id, VisitEntry.visiting_unit_id == g.membership.unit_id)
            .order_by(VisitEntry.in_person.desc(), VisitEntry.case_id)).all()
        visits: dict = {}
        for v in db.session.scalars(sa.select(CampaignVisit).where(CampaignVisit.entry_id.in_([e.id for e in entries]))
                                    .order_by(CampaignVisit.visited_on)):
            visits.setdefault(v.entry_id, []).append(v)
    labels = services.indicator_labels(db.session.get(RuleSet, campaign.rule_set_id))
    return render("campaigns/my_visits.html", campaign=campaign, entries=entries, visits=visits, labels=labels,
                  today=services.today(), partner=_is_partner())


def _entry_for_worker(campaign_id: int, entry_id: int) -> tuple[Campaign, VisitEntry]:
    campaign = _campaign_or_404(campaign_id)
    with _assigned_families():
        entry = db.session.get(VisitEntry, entry_id)  # another county's: None (a partner's: checked below)
        if entry is None or entry.campaign_id != campaign.id or entry.visiting_unit_id != g.membership.unit_id:
            abort(404)
        entry.case  # loaded here, under the crossing  # noqa: B018
    return campaign, entry


def _children_of(entry: VisitEntry):
    members = db.session.scalars(sa.select(CaseMember).where(CaseMember.case_id == entry.case_id)
                                 .order_by(CaseMember.id)).all()
    day = services.today()
    out = []
    for m in members:
        age = m.age(day)
        if getattr(m.relation, "value", m.relation) == "child" or (age is not None and age < 18):
            out.append((m, age))
    return out


@bp.route("/<int:campaign_id>/entries/<int:entry_id>/visit", methods=["GET", "POST"])
@requires(*WORKERS)
def record_visit(campaign_id: int, entry_id: int):
    campaign, entry = _entry_for_worker(campaign_id, entry_id)
    # A partner's staff write into the family's county, and only for this family assigned to their unit.
    with tenancy.tenant_scope(entry.tenant_id) if _is_partner() else nullcontext():
        return _record_visit(campaign, entry)


def _record_visit(campaign: Campaign, entry: VisitEntry):
    campaign_id, entry_id = campaign.id, entry.id
    children = _children_of(entry)
    values = request.form if request.method == "POST" else {}
    error = error_field = None
    if request.method == "POST":
        try:
            error_field = "visited_on"  # the field a refusal below is about (shown beside it too)
            try:
                visited_on = parse_flexible_date(values.get("visited_on", ""))
            except ValueError as exc:
                raise services.CampaignError(f"訪視日期：{exc}") from None
            if visited_on is None:
                raise services.CampaignError("請填寫訪視日期。" + services.visit_date_message(campaign))
            if not services.visit_date_allowed(campaign, visited_on):
                raise services.CampaignError(services.visit_date_message(campaign))
            error_field = None
            try:
                method = VisitMethod(values.get("method", ""))
            except ValueError:
                raise services.CampaignError("請選擇訪視方式。") from None
            texts = {"persons_seen": ("見到的人", 500), "needs": ("發現的需求", 2000), "referrals": ("轉介", 1000),
                     "finding": ("發現疑似受虐或疏忽", 2000)}
            texts.update({f"child-{m.id}-note": (f"{m.name or '兒少'} 照顧情形說明", 500) for m, _ in children})
            for name, (label, maximum) in texts.items():
                message = too_long(values.get(name, ""), label, maximum)
                if message:  # refused with everything kept, never cut
                    error_field = name
                    raise services.CampaignError(message)
            kids = [{"member_id": m.id, "name": m.name, "seen": bool(values.get(f"child-{m.id}-seen")),
                     "care_ok": bool(values.get(f"child-{m.id}-care")), "note": values.get(f"child-{m.id}-note", "")}
                    for m, _ in children]
            given = []
            try:
                amount = parse_amount(values.get("cash", ""), "急難紓困（元）")
            except ValueError as exc:
                error_field = "cash"
                raise services.CampaignError(str(exc)) from None
            if amount is not None:
                given.append({"kind": "emergency_cash", "amount": amount})
            for kind in ("in_kind", "meals"):
                if values.get(kind):
                    given.append({"kind": kind})
            visit = services.record_visit(entry, current_user, g.membership, visited_on=visited_on, method=method,
                                          persons_seen=values.get("persons_seen", ""), children=kids,
                                          needs=values.get("needs", ""), services=given,
                                          referrals=values.get("referrals", ""),
                                          finding=values.get("finding", ""))
            db.session.commit()
            flash("已登錄訪視。" + ("發現的情形已成為新通報，送入篩派案中心。" if visit.new_report_id else ""), "success")
            return redirect_to(url_for("campaigns.my_visits", campaign_id=campaign.id) + f"#entry-{entry.id}")
        except services.CampaignError as exc:
            db.session.rollback()
            campaign, entry = _entry_for_worker(campaign_id, entry_id)
            children = _children_of(entry)
            error = str(exc)
    labels = services.indicator_labels(db.session.get(RuleSet, campaign.rule_set_id))
    return render("campaigns/visit.html", status=422 if error else 200, campaign=campaign, entry=entry,
                  children=children, values=values, error=error, labels=labels, methods=list(VisitMethod),
                  today=services.today(), partner=_is_partner(),
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
        names = {c.id: c.name for c in db.session.scalars(sa.select(County))}
    else:
        figures = services.progress(campaign, g.membership.county_id)
        names = {u.id: u.name for u in db.session.scalars(sa.select(Unit).where(Unit.id.in_(list(figures["rows"]))))}
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
        counties = db.session.scalars(sa.select(County).where(County.is_active.is_(True)).order_by(County.sort_order)).all()
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
    try:
        if not form.validate():
            raise services.CampaignError("請修正標示的欄位。")
        unit = db.session.get(Unit, form.unit_id.data) if form.unit_id.data else None
        services.add_duty(campaign, g.membership.county_id, on_date=form.on_date.date, hours=form.hours.data or "",
                          unit=unit, person=form.person.data, phone=form.phone.data, note=form.note.data or "",
                          user=current_user)
    except services.CampaignError as exc:
        db.session.rollback()
        return _roster_page(_campaign_or_404(campaign_id), form=form, error=str(exc), status=422)
    db.session.commit()
    flash("已加入值勤表。", "success")
    return redirect_to(url_for("campaigns.roster", campaign_id=campaign.id))


@bp.post("/<int:campaign_id>/roster/<int:duty_id>/delete")
@requires(Role.COUNTY_ADMIN)
def delete_duty(campaign_id: int, duty_id: int):
    campaign = _campaign_or_404(campaign_id)
    line = db.session.get(DutyContact, duty_id)  # another county's: None
    if line is None or line.campaign_id != campaign.id:
        abort(404)
    db.session.delete(line)
    db.session.commit()
    flash("已自值勤表移除。", "success")
    return redirect_to(url_for("campaigns.roster", campaign_id=campaign.id))
