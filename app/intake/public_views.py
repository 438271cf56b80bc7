"""The public's side: the online report form 「關懷e起來」 and the status lookup.
No login; rate-limited per address; nothing about the family is ever shown back."""
from __future__ import annotations

from flask import Blueprint, current_app, redirect, request, session, url_for

from ..core import edge
from ..core.forms import url_int
from ..core.permissions import public
from ..core.rendering import form_error, render
from ..extensions import db, limiter
from ..tenants.models import County
from . import queries, services
from .form_data import report_input_from
from .forms import MAX_PERSONS, PublicReportForm, StatusLookupForm
from .models import QuarantinedSubmission
from .reference import ReportingChannel

bp = Blueprint("public", __name__)
RECEIPT_KEY = "report_receipt"


def _district_choices(county_id: int | None):
    if not county_id:
        return [(0, "請先選擇縣市")]
    return [(0, "請選擇行政區")] + [(d.id, d.name) for d in queries.districts(county_id)]


def _prepare(form: PublicReportForm) -> PublicReportForm:
    form.county_id.choices = [(0, "請選擇縣市")] + [(c.id, c.name) for c in queries.active_counties()]
    form.district_id.choices = _district_choices(form.county_id.data)
    return form


@bp.route("/report", methods=["GET"])
@public
def report_form():
    return render("intake/public_report.html", form=_prepare(PublicReportForm()), max_persons=MAX_PERSONS)


def _rate():
    return current_app.config["PUBLIC_REPORT_RATE"]


@bp.route("/report", methods=["POST"])
@public
@limiter.limit(_rate, methods=["POST"])
def report_submit():
    form = _prepare(PublicReportForm())
    if (form.website.data or "").strip():
        # A bot filled the field people cannot see: keep it aside, never in the queue.
        payload = {k: v for k, v in request.form.items(multi=False) if k != "csrf_token"}
        db.session.add(QuarantinedSubmission(reason="honeypot", ip=request.remote_addr or "", payload=payload))
        edge.commit()
        return redirect(url_for("public.report_done"), code=303)
    if "add_person" in request.form:
        if len(form.persons.entries) < MAX_PERSONS:
            form.persons.append_entry()
        return render("intake/public_report.html", form=form, max_persons=MAX_PERSONS, added=len(form.persons.entries))
    valid = form.validate_on_submit()
    if form.county_id.data and form.district_id.data and not services.district_in_county(form.county_id.data,
                                                                                         form.district_id.data):
        form.district_id.errors = list(form.district_id.errors) + ["行政區不在所選的縣市內，請重新選擇。"]
        valid = False
    if not valid:
        return form_error("intake/public_report.html", form=form, max_persons=MAX_PERSONS)
    county = db.session.get(County, form.county_id.data)
    report, code = services.receive(county, report_input_from(form), ReportingChannel("7"))
    receipt = {"report_no": report.report_no, "code": code, "county": county.name}
    edge.commit()  # committed before we answer: nothing submitted is lost
    session[RECEIPT_KEY] = receipt
    return redirect(url_for("public.report_done"), code=303)


@bp.get("/report/districts")
@public
def districts():
    """The district list for a county (htmx swaps it in when the county changes)."""
    form = PublicReportForm(formdata=None)
    form.county_id.data = url_int(request.args, "county_id")
    _prepare(form)
    return render("intake/public_report.html", fragment="district_select", form=form, max_persons=MAX_PERSONS)


@bp.get("/report/done")
@public
def report_done():
    receipt = session.pop(RECEIPT_KEY, None)
    return render("intake/public_done.html", receipt=receipt)


@bp.route("/report/status", methods=["GET", "POST"])
@public
@limiter.limit(lambda: current_app.config["STATUS_LOOKUP_RATE"], methods=["POST"])
def report_status():
    form = StatusLookupForm()
    state = None
    if form.validate_on_submit():
        state = services.public_status(form.report_no.data, form.code.data)
        if state is None:
            return form_error("intake/public_status.html", form=form, public_state=None, not_found=True)
    elif request.method == "POST":
        return form_error("intake/public_status.html", form=form, public_state=None, not_found=False)
    return render("intake/public_status.html", form=form, public_state=state, not_found=False)


@bp.get("/accessibility")
@public
def accessibility():
    """無障礙聲明: what the service meets, what it does not yet, and how to report a barrier."""
    return render("intake/accessibility.html")


RATE_LIMITED_ENDPOINTS = ("public.report_submit", "public.report_status")


def rate_limited_form(error):
    """429 on the report form: the same form, everything typed still in it (or the status lookup)."""
    if request.endpoint == "public.report_submit":
        form = _prepare(PublicReportForm())
        form.validate()
        return render("intake/public_report.html", status=429, form=form, max_persons=MAX_PERSONS,
                      rate_limited=True)
    return render("intake/public_status.html", status=429, form=StatusLookupForm(), rate_limited=True)
