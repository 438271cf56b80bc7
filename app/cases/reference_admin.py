"""The ministry keeps the versioned reference data: each change is a new version
with the date it takes effect; versions in use are never edited in place."""
from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, request, url_for
from wtforms import IntegerField, StringField, TextAreaField
from wtforms.validators import NumberRange

from ..core import calendar
from ..accounts.models import Role
from ..core import edge
from ..core.forms import BaseForm, FlexibleDateField, max_length, optional, parse_flexible_date, required
from ..core.permissions import requires, signed_in
from ..core.rendering import form_error, redirect_to, render
from ..extensions import db
from ..intake.reference import VulnerabilityDimension
from . import catalogue, queries
from .models import RiskFactor, RiskFactorTable, ServiceCatalogueItem, TipvdaVersion
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
    return render("cases/reference_index.html", tables=tables, tipvdas=tipvdas, today=calendar.today(),
                  catalogue_versions=catalogue.catalogue_versions(), groups=catalogue.all_groups(),
                  welfare=catalogue.all_welfare())


@bp.get("/catalogue")
@signed_in
def service_catalogue():
    """The service catalogue in force on a date (today unless asked), by strategy, and every version."""
    today = calendar.today()
    typed = request.args.get("on", "")
    problem = None
    try:
        day = parse_flexible_date(typed) or today
    except ValueError as exc:
        day, problem = today, str(exc)
    items = catalogue.services_on(day)
    by_strategy: dict[str, list] = {}
    for item in items:
        by_strategy.setdefault(item.strategy, []).append(item)
    return render("cases/reference_catalogue.html", day=day, typed=typed, problem=problem, by_strategy=by_strategy,
                  groups=catalogue.groups_on(day), group_labels=catalogue.group_labels(),
                  versions=catalogue.catalogue_versions(), today=today)


class CatalogueForm(BaseForm):
    version = StringField("版本名稱", validators=[required("版本名稱"), max_length("版本名稱", 40)])
    effective_from = FlexibleDateField("生效日", validators=[required("生效日")], allow_future=True)
    lines = TextAreaField("服務項目（每行一項：代碼｜名稱｜服務對象類別｜策略｜有金額(是/否)｜服務對象群組代碼）",
                          validators=[required("服務項目")])


def parse_catalogue_lines(text: str, group_codes: set[str]) -> tuple[list[dict], list[str]]:
    items, problems, seen = [], [], set()
    strategies = [s.label for s in catalogue.strategies()]  # the one list of the 2.0 strategies' names
    for number, raw in enumerate((text or "").splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        parts = [p.strip() for p in line.replace("|", "｜").split("｜")]
        if len(parts) == 5:
            parts.append("")
        if len(parts) != 6:
            problems.append(f"第 {number} 行需為「代碼｜名稱｜服務對象類別｜策略｜有金額｜服務對象群組」六段（群組可省略）。")
            continue
        code, label, section, strategy, amount, group = parts
        if not code or len(code) > 40 or not code.replace("_", "").isalnum() or not code.isascii():
            problems.append(f"第 {number} 行的代碼需為 1 到 40 個英數字或底線。")
        elif code in seen:
            problems.append(f"第 {number} 行的代碼「{code}」重複。")
        elif not label or len(label) > 100 or not section or len(section) > 30 or not strategy or len(strategy) > 40:
            problems.append(f"第 {number} 行的名稱（100 字內）、服務對象類別（30 字內）與策略（40 字內）皆需填寫。")
        elif strategy not in strategies:
            problems.append(f"第 {number} 行的策略「{strategy}」不是社安網2.0的策略，請寫其中之一：{'、'.join(strategies)}。")
        elif amount not in ("是", "否"):
            problems.append(f"第 {number} 行的「有金額」需寫 是 或 否。")
        elif group and group not in group_codes:
            problems.append(f"第 {number} 行的服務對象群組「{group}」不在服務對象清單中。")
        else:
            seen.add(code)
            items.append(dict(code=code, label=label, section=section, strategy=strategy, has_amount=amount == "是",
                              group=group))
    if not items and not problems:
        problems.append("請至少列出一項服務。")
    return items, problems


@bp.route("/catalogue/new", methods=["GET", "POST"])
@requires(Role.MINISTRY_STAFF, **KEEPERS)
def catalogue_new():
    """A new version of the service catalogue from a date: the version in force until then ends the day before
    (its rows keep their labels, so services recorded under it keep what they were recorded under)."""
    form = CatalogueForm()
    versions = catalogue.catalogue_versions()
    if request.method == "GET" and versions:
        form.lines.data = "\n".join(f"{i.code}｜{i.label}｜{i.section}｜{i.strategy}｜{'是' if i.has_amount else '否'}｜{i.group_code}"
                                    for i in versions[0][3])
    if form.validate_on_submit():
        items, problems = parse_catalogue_lines(form.lines.data, {g.code for g in catalogue.all_groups()})
        start = form.effective_from.date
        latest = versions[0][1] if versions else None
        if latest is not None and start <= latest:
            problems.insert(0, f"生效日需晚於目前最新版本的生效日（{latest.year - 1911}/{latest.month:02d}/{latest.day:02d}）。")
        elif start <= calendar.today():
            problems.insert(0, "新版本的生效日需晚於今天：已記錄的服務依當時的版本，不回溯改變。")
        if any(v[0] == form.version.data.strip() for v in versions):
            problems.insert(0, "已有同名的版本，請換一個版本名稱。")
        if problems:
            form.lines.errors = problems
            return form_error("cases/reference_catalogue_new.html", form=form)
        for row in (versions[0][3] if versions else []):
            if row.effective_to is None or row.effective_to >= start:
                row.effective_to = start - timedelta(days=1)
        for position, item in enumerate(items, start=1):
            db.session.add(ServiceCatalogueItem(version=form.version.data.strip(), code=item["code"], label=item["label"],
                                                section=item["section"], strategy=item["strategy"],
                                                has_amount=item["has_amount"], group_code=item["group"],
                                                position=position, effective_from=start))
        edge.commit()
        return redirect_to(url_for("reference.service_catalogue"))
    if request.method == "POST":
        return form_error("cases/reference_catalogue_new.html", form=form)
    return render("cases/reference_catalogue_new.html", form=form)


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
