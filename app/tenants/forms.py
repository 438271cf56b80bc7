from __future__ import annotations

from wtforms import (
    BooleanField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TelField,
)
from wtforms.validators import InputRequired, NumberRange

from ..core.forms import BaseForm, chosen, max_length, optional, required


class UnitForm(BaseForm):
    kind = SelectField("單位類型", validators=[chosen("單位類型")], validate_choice=True)
    name = StringField("單位名稱", validators=[required("單位名稱"), max_length("單位名稱", 100)])
    short_name = StringField("簡稱", validators=[optional(), max_length("簡稱", 30)])
    phone = TelField("聯絡電話", validators=[optional(), max_length("聯絡電話", 30)])
    districts = SelectMultipleField("服務行政區（社福中心）", coerce=int, validate_choice=True)
    is_active = BooleanField("啟用中", default=True)


class WholeYearsField(IntegerField):
    """An integer field whose "not a number" message is ours, in Chinese."""

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError("「結案後保存年限」需為 1 到 30 的整數。") from None


class CountyForm(BaseForm):
    name = StringField("縣市名稱", validators=[required("縣市名稱"), max_length("縣市名稱", 20)])
    retention_years = WholeYearsField(
        "結案後保存年限（年）",
        validators=[InputRequired(message="請填寫「結案後保存年限」，為 1 到 30 的整數。"),
                    NumberRange(min=1, max=30, message="「結案後保存年限」需為 1 到 30 年。")],
        default=7)
    is_active = BooleanField("啟用中", default=True)


class PartnerForm(BaseForm):
    name = StringField("團體全名", validators=[required("團體全名"), max_length("團體全名", 100)])
    short_name = StringField("簡稱", validators=[optional(), max_length("簡稱", 30)])
    counties = SelectMultipleField("服務縣市", coerce=int, validate_choice=True)
    is_active = BooleanField("啟用中", default=True)


class BranchForm(BaseForm):
    name = StringField("服務單位名稱", validators=[required("服務單位名稱"), max_length("服務單位名稱", 100)])
    county_id = SelectField("所在縣市", coerce=int, validators=[chosen("所在縣市")], validate_choice=True)
    phone = TelField("聯絡電話", validators=[optional(), max_length("聯絡電話", 30)])


class MinistryUnitForm(BaseForm):
    kind = SelectField("類型", validators=[chosen("類型")], validate_choice=True)
    agency = StringField("所屬部會", validators=[required("所屬部會"), max_length("所屬部會", 50)])
    name = StringField("單位名稱", validators=[required("單位名稱"), max_length("單位名稱", 100)])
    short_name = StringField("簡稱", validators=[optional(), max_length("簡稱", 30)])
    counties = SelectMultipleField("責任區縣市（部屬機構）", coerce=int, validate_choice=True)
    is_active = BooleanField("啟用中", default=True)
