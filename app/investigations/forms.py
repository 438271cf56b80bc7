from __future__ import annotations

from wtforms import BooleanField, RadioField, SelectField, SelectMultipleField, StringField, TextAreaField

from ..core.forms import ActionForm, BaseForm, FlexibleDateField, chosen, max_length, optional, required
from ..referrals.models import SHAREABLE

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
    note = TextAreaField("派案理由", validators=[required("派案理由"), max_length("派案理由", 2000)])
    # 同時轉介民間團體 (optional): a service of the partner directory, with the referral's own fields. The
    # service is checked by the service layer (a forged id gets its message beside this field).
    partner_service_id = SelectField("民間團體服務", coerce=int, default=0, validate_choice=False)
    partner_reason = TextAreaField("轉介理由", validators=[optional(), max_length("轉介理由", 2000)])
    partner_services_requested = TextAreaField("請求的服務", validators=[optional(), max_length("請求的服務", 2000)])
    partner_sections = SelectMultipleField("分享的資料（不含通報人身分）", choices=list(SHAREABLE.items()),
                                           default=["members", "reports"], validate_choice=True)
    partner_consent = BooleanField("案家已同意轉介並分享上列資料")
    partner_consent_by = StringField("同意人（案家成員）", validators=[optional(), max_length("同意人", 60)])
    partner_legal_basis = StringField("未取得同意時的法律依據（限督導）", validators=[optional(), max_length("法律依據", 200)])


class CloseForm(ActionForm):
    PREFIX = "end"

    reason = TextAreaField("結束理由", validators=[required("結束理由"), max_length("結束理由", 2000)])


class StartDateForm(BaseForm):
    investigation_from = FlexibleDateField("通報調查處理中心啟用日", validators=[required("通報調查處理中心啟用日")],
                                           allow_future=True)
