"""The ministry keeps the versioned reference data: each change is a new version
with the date it takes effect; versions in use are never edited in place."""
from __future__ import annotations


from flask import Blueprint, request, url_for
from wtforms import IntegerField, StringField, TextAreaField
from wtforms.validators import NumberRange

from ..core import calendar
from ..accounts.models import Role
from ..core import edge
from ..core.forms import BaseForm, FlexibleDateField, max_length, optional, required
from ..core.permissions import requires
from ..core.rendering import form_error, redirect_to, render
from ..extensions import db
from ..intake.reference import VulnerabilityDimension
from . import queries
from .models import RiskFactor, RiskFactorTable, TipvdaVersion
from .reference import Level

bp = Blueprint("reference", __name__, url_prefix="/reference")
KEEPERS = dict(sysadmin=True)


class FactorTableForm(BaseForm):
    version = StringField("版本名稱", validators=[required("版本名稱"), max_length("版本名稱", 40)])
    effective_from = FlexibleDateField("生效日", validators=[required("生效日")], allow_future=True)
    note = StringField("說明", validators=[optional(), max_length("說明", 300)])
    lines = TextAreaField("風險因子（每行一項：面向｜等級｜內容）", validators=[required("風險因子")])


class TipvdaForm(BaseForm):
    version = StringField("版本名稱", validators=[required("版本名稱"), max_length("版本名稱", 40)])
    effective_from = FlexibleDateField("生效日", validators=[required("生效日")], allow_future=True)
    notice_from = IntegerField("注意危險起始分數", validators=[NumberRange(1, 40, message="需為 1 到 40 分。")], default=6)
    high_from = IntegerField("高度危險起始分數", validators=[NumberRange(1, 40, message="需為 1 到 40 分。")], default=8)
    note = StringField("說明", validators=[optional(), max_length("說明", 300)])
    items = TextAreaField("題目（每行一題）", validators=[required("題目")])


DIMENSIONS = {d.label: d for d in VulnerabilityDimension} | {d.value: d for d in VulnerabilityDimension}
LEVELS = {lv.label: lv for lv in Level} | {lv.value: lv for lv in Level}


def parse_factor_lines(text: str) -> tuple[list[tuple], list[str]]:
    factors, problems = [], []
    for number, raw in enumerate((text or "").splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        parts = [p.strip() for p in line.replace("|", "｜").split("｜")]
        if len(parts) != 3:
            problems.append(f"第 {number} 行需為「面向｜等級｜內容」三段。")
            continue
        dimension, level, content = parts
        if dimension not in DIMENSIONS:
            problems.append(f"第 {number} 行的面向「{dimension}」不在六個脆弱面向之中。")
        elif level not in LEVELS:
            problems.append(f"第 {number} 行的等級「{level}」需為 高、中 或 低。")
        elif not content or len(content) > 300:
            problems.append(f"第 {number} 行的內容需為 1 到 300 字。")
        else:
            factors.append((DIMENSIONS[dimension], LEVELS[level], content))
    if not factors and not problems:
        problems.append("請至少列出一項風險因子。")
    return factors, problems


@bp.get("/")
@requires(Role.MINISTRY_STAFF, **KEEPERS)
def index():
    tables, tipvdas = queries.reference_versions()
    return render("cases/reference_index.html", tables=tables, tipvdas=tipvdas, today=calendar.today())


@bp.route("/factors/new", methods=["GET", "POST"])
@requires(Role.MINISTRY_STAFF, **KEEPERS)
def factor_table_new():
    form = FactorTableForm()
    tables, _ = queries.reference_versions()
    if request.method == "GET" and tables:
        form.lines.data = "\n".join(f"{f.dimension.label}｜{f.level.label}｜{f.text}" for f in tables[0].factors)
    if form.validate_on_submit():
        factors, problems = parse_factor_lines(form.lines.data)
        if queries.reference_version_taken(RiskFactorTable, form.version.data.strip()):
            problems.insert(0, "已有同名的版本，請換一個版本名稱。")
        if problems:
            form.lines.errors = problems
            return form_error("cases/reference_factors.html", form=form)
        table = RiskFactorTable(version=form.version.data.strip(), effective_from=form.effective_from.date,
                                note=(form.note.data or "").strip())
        for position, (dimension, level, text) in enumerate(factors):
            table.factors.append(RiskFactor(position=position, dimension=dimension, level=level, text=text))
        db.session.add(table)
        edge.commit()
        return redirect_to(url_for("reference.index"))
    if request.method == "POST":
        return form_error("cases/reference_factors.html", form=form)
    return render("cases/reference_factors.html", form=form)


@bp.route("/tipvda/new", methods=["GET", "POST"])
@requires(Role.MINISTRY_STAFF, **KEEPERS)
def tipvda_new():
    form = TipvdaForm()
    _, tipvdas = queries.reference_versions()
    if request.method == "GET" and tipvdas:
        form.items.data = "\n".join(tipvdas[0].items)
        form.notice_from.data, form.high_from.data = tipvdas[0].notice_from, tipvdas[0].high_from
    if form.validate_on_submit():
        items = [line.strip() for line in form.items.data.splitlines() if line.strip()]
        problems = []
        if not 5 <= len(items) <= 40:
            problems.append(f"題目需為 5 到 40 題（目前 {len(items)} 題）。")
        if form.notice_from.data >= form.high_from.data:
            problems.append("注意危險的起始分數需低於高度危險。")
        if form.high_from.data > len(items):
            problems.append("高度危險起始分數不可大於題數。")
        if queries.reference_version_taken(TipvdaVersion, form.version.data.strip()):
            problems.append("已有同名的版本，請換一個版本名稱。")
        if problems:
            form.items.errors = problems
            return form_error("cases/reference_tipvda.html", form=form)
        db.session.add(TipvdaVersion(version=form.version.data.strip(), effective_from=form.effective_from.date,
                                     items=items, notice_from=form.notice_from.data, high_from=form.high_from.data,
                                     note=(form.note.data or "").strip()))
        edge.commit()
        return redirect_to(url_for("reference.index"))
    if request.method == "POST":
        return form_error("cases/reference_tipvda.html", form=form)
    return render("cases/reference_tipvda.html", form=form)
