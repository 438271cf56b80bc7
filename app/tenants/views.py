"""County administrators manage their units; system administrators manage
counties, partner organisations and ministry units."""
from __future__ import annotations

from flask import Blueprint, abort, flash, g, request, url_for

from ..accounts.models import Role
from ..core import edge
from ..core.permissions import requires
from ..core.rendering import form_error, redirect_to, render
from ..extensions import db
from . import queries, services
from .forms import BranchForm, CountyForm, MinistryUnitForm, PartnerForm, UnitForm
from .models import COUNTY_UNIT_KINDS, MINISTRY_UNIT_KINDS, County, PartnerOrganisation, Unit, UnitKind

bp = Blueprint("tenants", __name__)


def _admin_county() -> County:
    county = g.membership.unit.county
    if county is None:
        abort(403)
    return county


def _county_unit_or_404(county: County, unit_id: int) -> Unit:
    unit = db.session.get(Unit, unit_id)
    if unit is None or unit.county_id != county.id or not unit.is_county_unit:
        abort(404)
    return unit


def _unit_form(county: County, unit: Unit | None = None) -> UnitForm:
    form = UnitForm(obj=unit) if request.method == "GET" and unit else UnitForm()
    form.kind.choices = [("", "請選擇")] + [(k.value, k.label) for k in COUNTY_UNIT_KINDS]
    form.districts.choices = [(d.id, d.name) for d in county.districts]
    if request.method == "GET" and unit is not None:
        form.kind.data = unit.kind.value
        form.districts.data = [d.id for d in unit.districts]
    return form


def _save_unit(county: County, unit: Unit | None, form: UnitForm, template: str):
    if not form.validate_on_submit():
        return form_error(template, form=form, county=county, unit=unit)

    def save():
        saved = services.save_county_unit(
            county, unit,
            kind=UnitKind(form.kind.data), name=form.name.data, short_name=form.short_name.data or "",
            phone=form.phone.data or "", district_ids=form.districts.data or [], is_active=form.is_active.data,
        )
        flash(f"已儲存「{saved.name}」。", "success")
        return redirect_to(url_for("tenants.units"))

    return edge.act(save, edge.form_refusal(template, form, county=county, unit=unit))


@bp.get("/admin/units")
@requires(Role.COUNTY_ADMIN)
def units():
    county = _admin_county()
    return render("tenants/units.html", county=county, units=queries.county_units(county))


@bp.route("/admin/units/new", methods=["GET", "POST"])
@requires(Role.COUNTY_ADMIN)
def unit_new():
    county = _admin_county()
    form = _unit_form(county)
    if request.method == "POST":
        return _save_unit(county, None, form, "tenants/unit_form.html")
    return render("tenants/unit_form.html", form=form, county=county, unit=None)


@bp.route("/admin/units/<int:unit_id>", methods=["GET", "POST"])
@requires(Role.COUNTY_ADMIN)
def unit_edit(unit_id: int):
    county = _admin_county()
    unit = _county_unit_or_404(county, unit_id)
    form = _unit_form(county, unit)
    if request.method == "POST":
        return _save_unit(county, unit, form, "tenants/unit_form.html")
    return render("tenants/unit_form.html", form=form, county=county, unit=unit)


# --- System administration ------------------------------------------------

@bp.get("/system/counties")
@requires(sysadmin=True)
def counties():
    return render("tenants/counties.html", counties=services.counties())


@bp.route("/system/counties/<int:county_id>", methods=["GET", "POST"])
@requires(sysadmin=True)
def county_edit(county_id: int):
    county = db.get_or_404(County, county_id)
    form = CountyForm(obj=county)
    if form.validate_on_submit():
        county.name = form.name.data.strip()
        county.is_active = form.is_active.data
        county.retention_years = form.retention_years.data
        edge.commit()
        flash(f"已儲存「{county.name}」。", "success")
        return redirect_to(url_for("tenants.counties"))
    if request.method == "POST":
        return form_error("tenants/county_form.html", form=form, county=county)
    return render("tenants/county_form.html", form=form, county=county, units=queries.units_in_county(county))


@bp.get("/system/partners")
@requires(sysadmin=True)
def partners():
    return render("tenants/partners.html", partners=queries.partners())


def _partner_form(org: PartnerOrganisation | None) -> PartnerForm:
    form = PartnerForm(obj=org) if request.method == "GET" and org else PartnerForm()
    form.counties.choices = [(c.id, c.name) for c in services.counties()]
    if request.method == "GET" and org is not None:
        form.counties.data = [c.id for c in org.counties]
    return form


def _branch_form(org: PartnerOrganisation | None, formdata=True) -> BranchForm:
    form = BranchForm() if formdata else BranchForm(formdata=None)
    form.county_id.choices = [(0, "請選擇")] + [(c.id, c.name) for c in (org.counties if org else [])]
    return form


@bp.route("/system/partners/new", methods=["GET", "POST"], defaults={"org_id": None})
@bp.route("/system/partners/<int:org_id>", methods=["GET", "POST"])
@requires(sysadmin=True)
def partner_edit(org_id: int | None):
    org = db.get_or_404(PartnerOrganisation, org_id) if org_id else None
    form = _partner_form(org)
    context = {"org": org, "form": form, "branch_form": _branch_form(org, formdata=False)}
    if request.method == "POST":
        if not form.validate_on_submit():
            return form_error("tenants/partner_form.html", **context)
        def save():
            saved = services.save_partner(org, name=form.name.data, short_name=form.short_name.data or "",
                                          county_ids=form.counties.data or [], is_active=form.is_active.data)
            flash(f"已儲存「{saved.name}」。", "success")
            return redirect_to(url_for("tenants.partner_edit", org_id=saved.id))

        return edge.act(save, edge.form_refusal("tenants/partner_form.html", form, field=form.name, org=org,
                                                  branch_form=context["branch_form"]))
    return render("tenants/partner_form.html", **context)


@bp.post("/system/partners/<int:org_id>/branches")
@requires(sysadmin=True)
def partner_branch_new(org_id: int):
    org = db.get_or_404(PartnerOrganisation, org_id)
    branch_form = _branch_form(org)
    form = _partner_form(org)
    context = {"org": org, "form": form, "branch_form": branch_form}
    if not branch_form.validate_on_submit() or branch_form.county_id.data == 0:
        if not branch_form.errors:
            branch_form.county_id.errors = ["請選擇「所在縣市」。"]
        return form_error("tenants/partner_form.html", **context)
    def add():
        services.add_branch(org, name=branch_form.name.data, county_id=branch_form.county_id.data,
                            phone=branch_form.phone.data or "")
        flash("已新增服務單位。", "success")
        return redirect_to(url_for("tenants.partner_edit", org_id=org.id))

    def refused(exc):
        edge.beside_field(branch_form, exc, replace=True)
        return form_error("tenants/partner_form.html", **context)

    return edge.act(add, refused)


@bp.get("/system/ministry")
@requires(sysadmin=True)
def ministry_units():
    return render("tenants/ministry_units.html", units=queries.ministry_units())


@bp.route("/system/ministry/new", methods=["GET", "POST"], defaults={"unit_id": None})
@bp.route("/system/ministry/<int:unit_id>", methods=["GET", "POST"])
@requires(sysadmin=True)
def ministry_unit_edit(unit_id: int | None):
    unit = None
    if unit_id is not None:
        unit = db.get_or_404(Unit, unit_id)
        if not unit.is_ministry_unit:
            abort(404)
    form = MinistryUnitForm(obj=unit) if request.method == "GET" and unit else MinistryUnitForm()
    form.kind.choices = [("", "請選擇")] + [(k.value, k.label) for k in MINISTRY_UNIT_KINDS]
    form.counties.choices = [(c.id, c.name) for c in services.counties()]
    if request.method == "GET" and unit is not None:
        form.kind.data = unit.kind.value
        form.counties.data = [a.county_id for a in unit.responsibility_areas]
    if request.method == "POST":
        if not form.validate_on_submit():
            return form_error("tenants/ministry_unit_form.html", form=form, unit=unit)
        def save():
            saved = services.save_ministry_unit(
                unit, kind=UnitKind(form.kind.data), agency=form.agency.data, name=form.name.data,
                short_name=form.short_name.data or "", county_ids=form.counties.data or [], is_active=form.is_active.data,
            )
            flash(f"已儲存「{saved.name}」。", "success")
            return redirect_to(url_for("tenants.ministry_units"))

        return edge.act(save, edge.form_refusal("tenants/ministry_unit_form.html", form, unit=unit))
    return render("tenants/ministry_unit_form.html", form=form, unit=unit)
