"""保存期限審查: the county administrator's list of closed cases past the retention
period, a decision per case or for the cases ticked, and what awaits disposal."""
from __future__ import annotations

from flask import Blueprint, abort, flash, g, request, url_for
from flask_login import current_user

from ..accounts.models import Role
from ..cases.models import FamilyCase
from ..core import edge
from ..core.filters import TAIPEI
from ..core.models import utcnow
from ..core.permissions import requires
from ..core.rendering import redirect_to, render, wants_fragment
from ..extensions import db
from . import services
from .forms import DecisionForm
from .models import RetentionChoice

bp = Blueprint("retention", __name__, url_prefix="/admin/retention")


def _county():
    county = g.membership.unit.county
    if county is None:
        abort(403)
    return county


def _today():
    return utcnow().astimezone(TAIPEI).date()


def _list_page(form: DecisionForm, status: int = 200):
    county, today = _county(), _today()
    rows = services.due_for_review(county, today)
    form.case_ids.choices = [(r.case.id, r.case.case_no) for r in rows]
    return render("retention/review.html", fragment="review" if wants_fragment() else "content", status=status,
                  county=county, today=today, rows=rows, pending=services.awaiting_disposal(county, today), form=form)


def _record(form: DecisionForm, case_ids: list[int]) -> bool:
    """Validate and record through the request edge; False (with the error on the form) when it could not be recorded."""
    if not form.validate_on_submit():
        return False
    choice = RetentionChoice(form.decision.data)

    def recorded(_) -> bool:
        flash(f"已記錄 {len(case_ids)} 個案家的決定：{choice.label}。" +
              ("銷毀將另由系統管理程序執行，並寫入稽核紀錄。" if choice == RetentionChoice.DISPOSE else ""), "success")
        return True

    def refused(error) -> bool:
        target = getattr(form, error.field or "reason", form.reason)
        target.errors = list(target.errors) + [str(error)]
        return False

    return edge.act_then(lambda: services.decide(_county(), case_ids, current_user, choice=choice, reason=form.reason.data,
                                                 retain_until=form.retain_until.date, today=_today()),
                         recorded, refused)


@bp.get("")
@requires(Role.COUNTY_ADMIN)
def review():
    return _list_page(DecisionForm(formdata=None))


@bp.post("/decide")
@requires(Role.COUNTY_ADMIN)
def decide():
    form = DecisionForm()
    form.case_ids.data = [int(v) for v in request.form.getlist("case_ids") if v.isdigit()]
    if _record(form, form.case_ids.data):
        return redirect_to(url_for("retention.review"))
    return _list_page(form, status=422)


@bp.route("/cases/<int:case_id>", methods=["GET", "POST"])
@requires(Role.COUNTY_ADMIN)
def case_review(case_id: int):
    case = db.session.get(FamilyCase, case_id)  # scoped to the county: another county's case is None
    if case is None:
        abort(404)
    county, today = _county(), _today()
    form = DecisionForm() if request.method == "POST" else DecisionForm(formdata=None)
    status = 200
    if request.method == "POST":
        if _record(form, [case.id]):
            return redirect_to(url_for("retention.review"))
        status = 422
    row = services.review_row(county, case, today)
    blockers = row.blockers if row else services.blockers([case.id])[case.id]
    return render("retention/case.html", fragment="decision" if wants_fragment() else "content", status=status, county=county, today=today, case=case, row=row,
                  blockers=blockers, closed_on=services.closed_on(case), due_on=services.due_on(case, county),
                  decisions=services.history(case), form=form)
