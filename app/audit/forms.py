from __future__ import annotations

from wtforms import DateField, SelectField, StringField

from ..core.forms import BaseForm, max_length, optional

RECORD_TYPES = [
    ("", "全部"),
    ("users", "使用者"),
    ("memberships", "單位角色"),
    ("units", "單位"),
    ("counties", "縣市"),
    ("partner_organisations", "民間團體"),
]
RECORD_TYPE_LABELS = dict(RECORD_TYPES[1:])


class AuditFilterForm(BaseForm):
    class Meta:
        csrf = False  # a GET search form changes nothing

    username = StringField("人員帳號", validators=[optional(), max_length("人員帳號", 50)])
    date_from = DateField("起日（西元）", validators=[optional()], format="%Y-%m-%d")
    date_to = DateField("迄日（西元）", validators=[optional()], format="%Y-%m-%d")
    record_type = SelectField("紀錄類型", choices=RECORD_TYPES, validators=[optional()], validate_choice=True)
    record_id = StringField("紀錄編號", validators=[optional(), max_length("紀錄編號", 50)])
    county_id = SelectField("縣市", coerce=int, validators=[optional()], validate_choice=False)

    def validate(self, extra_validators=None):
        ok = super().validate(extra_validators)
        for field in (self.date_from, self.date_to):
            if field.errors and field.raw_data and field.raw_data[0]:
                field.errors = ["日期格式不正確，請用日期選擇器或輸入 YYYY-MM-DD（西元）。"]
        if self.date_from.data and self.date_to.data and self.date_from.data > self.date_to.data:
            self.date_to.errors = list(self.date_to.errors) + ["迄日不可早於起日。"]
            ok = False
        return ok
