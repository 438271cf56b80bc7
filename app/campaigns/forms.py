from __future__ import annotations

from wtforms import FileField, SelectField, StringField, TelField, TextAreaField

from ..core.forms import ActionForm, FlexibleDateField, max_length, optional, required
from .models import NetworkKind


class CampaignForm(ActionForm):
    PREFIX = "cp"
    name = StringField("專案名稱", validators=[required("專案名稱"), max_length("專案名稱", 100)])
    holiday_start = FlexibleDateField("春節假期開始", validators=[required("春節假期開始")], allow_future=True)
    holiday_end = FlexibleDateField("春節假期結束", validators=[required("春節假期結束")], allow_future=True)
    starts_on = FlexibleDateField("關懷期間開始（空白＝假期前二週）", validators=[optional()], allow_future=True)
    ends_on = FlexibleDateField("關懷期間結束（空白＝假期結束後一週）", validators=[optional()], allow_future=True)


class RulesForm(ActionForm):
    PREFIX = "ru"
    rules = TextAreaField("規則（JSON）", validators=[required("規則")])
    note = StringField("這一版改了什麼", validators=[required("說明"), max_length("說明", 300)])


class UnitForm(ActionForm):
    PREFIX = "vu"
    unit_id = SelectField("訪視單位", coerce=int, validate_choice=False)


class TickForm(ActionForm):
    PREFIX = "tk"
    case_no = StringField("個案案號", validators=[required("個案案號"), max_length("個案案號", 30)])
    code = SelectField("指標", validate_choice=False)
    reason = TextAreaField("理由", validators=[required("理由"), max_length("理由", 1000)])


class NetworkForm(ActionForm):
    PREFIX = "nw"
    case_no = StringField("個案案號", validators=[required("個案案號"), max_length("個案案號", 30)])
    kind = SelectField("網絡單位", validate_choice=True)
    reason = TextAreaField("網絡單位提供的理由", validators=[required("理由"), max_length("理由", 1000)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind.choices = NetworkKind.choices()


class ImportForm(ActionForm):
    PREFIX = "im"
    file = FileField("CSV 檔（欄名：案號或身分證字號、網絡單位、說明）")


class DutyForm(ActionForm):
    PREFIX = "dt"
    on_date = FlexibleDateField("值勤日期", validators=[required("值勤日期")], allow_future=True)
    hours = StringField("時段（空白＝全日）", validators=[optional(), max_length("時段", 30)])
    unit_id = SelectField("單位", coerce=int, validate_choice=False)
    person = StringField("值勤人員", validators=[required("值勤人員"), max_length("值勤人員", 60)])
    phone = TelField("聯絡電話", validators=[required("聯絡電話"), max_length("聯絡電話", 30)])
    note = StringField("備註", validators=[optional(), max_length("備註", 200)])
