from __future__ import annotations

from wtforms import RadioField, SelectField, TextAreaField

from ..core.forms import ActionForm, BaseForm, FlexibleDateField, chosen, max_length, optional, required

class StartForm(ActionForm):
    PREFIX = "start"

    note = TextAreaField("首次接觸說明", validators=[optional(), max_length("首次接觸說明", 2000)])


class ConcludeForm(ActionForm):
    PREFIX = "done"

    substantiated = RadioField("調查結果", choices=[("1", "成立"), ("0", "不成立")], validators=[chosen("調查結果")])
    service_need = RadioField("有無服務需求", choices=[("1", "有服務需求"), ("0", "無服務需求")],
                              validators=[chosen("有無服務需求")])
    note = TextAreaField("調查結果說明", validators=[required("調查結果說明"), max_length("調查結果說明", 5000)])


class DispatchForm(ActionForm):
    PREFIX = "send"

    unit_id = SelectField("派案服務單位", coerce=int, validators=[chosen("派案服務單位")], validate_choice=True)
    note = TextAreaField("派案說明", validators=[optional(), max_length("派案說明", 2000)])


class CloseForm(ActionForm):
    PREFIX = "end"

    reason = TextAreaField("結束理由", validators=[required("結束理由"), max_length("結束理由", 2000)])


class StartDateForm(BaseForm):
    investigation_from = FlexibleDateField("通報調查處理中心啟用日", validators=[required("通報調查處理中心啟用日")],
                                           allow_future=True)
