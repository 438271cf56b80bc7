"""The county administrator's form for a denominator that lives outside the platform."""
from __future__ import annotations

import re
from datetime import date

from wtforms import SelectField, StringField
from wtforms.validators import ValidationError

from ..core.forms import ActionForm, BaseForm, chosen, max_length, optional, required
from ..reports.forms import PART_CHOICES, PARTS, PeriodInputError, read_roc_year
from ..reports.periods import Period
from .registry import YEARS

PART_KINDS = {code: (kind, number) for code, _, kind, number in PARTS}

ROC_OFFSET = 1911


class DenominatorForm(BaseForm):
    measure = SelectField("指標", validators=[chosen("指標")])
    roc_year = StringField("年度（民國）", validators=[required("年度（民國）")],
                           description=f"民國年，例如 {YEARS[0]}")
    value = StringField("分母", validators=[required("分母")], description="正整數，例如該年度出生登記數")
    source = StringField("資料來源", validators=[required("資料來源"), max_length("資料來源", 200)],
                         description="例如 戶政司出生登記（115年）")

    def validate_roc_year(self, field):
        text = _halfwidth(field.data)
        if not re.fullmatch(r"\d{1,4}", text):
            raise ValidationError("請填民國年的數字，例如 115。")
        year = int(text)
        if year > 1911:
            raise ValidationError(f"請填民國年，不是西元年：西元 {year} 年是民國 {year - ROC_OFFSET} 年。")
        if year not in YEARS:
            raise ValidationError(f"年度需為民國 {YEARS[0]} 至 {YEARS[-1]} 年。")

    def validate_value(self, field):
        text = _halfwidth(field.data).replace(",", "")
        if re.fullmatch(r"-\s*\d+", text):
            raise ValidationError("分母不可為負數，請填正整數。")
        if not re.fullmatch(r"\d+", text) or int(text) < 1:
            raise ValidationError("分母需為正整數（不含小數點）。")
        if int(text) > 10_000_000:
            raise ValidationError("分母過大，請確認數字。")

    @property
    def year_number(self) -> int:
        return int(_halfwidth(self.roc_year.data))

    @property
    def value_number(self) -> int:
        return int(_halfwidth(self.value.data).replace(",", ""))


def _halfwidth(text) -> str:
    """Full-width digits and signs typed with a Chinese input method, as ASCII."""
    return (text or "").strip().translate(str.maketrans("０１２３４５６７８９－，", "0123456789-,"))


class BoardPeriodForm(ActionForm):
    """The board's period: a ROC year typed (a Western year explained beside the field, never converted
    silently) and its part (全年, a half, a quarter, a month), as the reports' picker
    (:mod:`app.reports.forms`). Any period of the programme (115年 on) that has begun."""

    year = StringField("年度（民國）", validators=[optional(), max_length("年度", 10)],
                       render_kw={"inputmode": "numeric", "placeholder": f"例如 {YEARS[0]}", "autocomplete": "off"})
    part = SelectField("期別", choices=PART_CHOICES, default="year", validate_choice=False)

    def chosen_period(self, today: date) -> Period | None:
        """The period named, or None with the reason beside its field (what was typed stays)."""
        try:
            year = read_roc_year(self.year.data)
        except PeriodInputError as exc:
            self.year.errors = [*self.year.errors, exc.message]
            return None
        if year < YEARS[0]:
            self.year.errors = [*self.year.errors, f"目標看板自民國 {YEARS[0]} 年（社安網2.0）起；請輸入 {YEARS[0]} 年以後。"]
            return None
        kind_number = PART_KINDS.get(self.part.data or "year")
        if kind_number is None:
            self.part.errors = [*self.part.errors, "請選擇期別（全年、上半年、下半年、季或月）。"]
            return None
        period = Period.of_roc(kind_number[0], year, kind_number[1])
        if not period.has_started(today):
            where = self.year if period.start.year > today.year else self.part
            where.errors = [*where.errors, f"{period.label}尚未開始（{period.span}），沒有可計算的資料；請選擇已開始的期間。"]
            return None
        return period
