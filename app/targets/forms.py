"""The county administrator's form for a denominator that lives outside the platform."""
from __future__ import annotations

import re

from wtforms import SelectField, StringField
from wtforms.validators import ValidationError

from ..core.forms import BaseForm, chosen, max_length, required
from .registry import YEARS

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
