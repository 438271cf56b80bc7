from __future__ import annotations

from wtforms import BooleanField, RadioField, SelectField, SelectMultipleField, StringField, TextAreaField

from ..core.forms import ActionForm, BaseForm, chosen, max_length, optional, required
from wtforms.validators import ValidationError

from .models import FORMER_CHOICES, SHAREABLE, DeclineReason, DisputeOutcome, ReferralKind, ReferralOutcome, Urgency


class ReferralForm(BaseForm):
    kind = RadioField("轉介對象", choices=ReferralKind.choices(), default=ReferralKind.UNIT.value, validators=[chosen("轉介對象")])
    to_unit_id = SelectField("縣市內單位", coerce=int, default=0, validate_choice=False,
        invalid_choice_message="請選擇本縣市的社福中心、家防中心或衛生局心衛社工。")
    to_county_id = SelectField("遷入縣市", coerce=int, default=0, validate_choice=False)
    partner_service_id = SelectField("民間團體服務", coerce=int, default=0, validate_choice=False,
        invalid_choice_message="這項民間團體服務不在本縣市提供，請重新選擇。")
    reason = TextAreaField("轉介理由", validators=[required("轉介理由"), max_length("轉介理由", 2000)])
    services_requested = TextAreaField("請求的服務", validators=[optional(), max_length("請求的服務", 2000)])
    sections = SelectMultipleField("分享的資料（不含通報人身分）",
                                   choices=[(k, v) for k, v in SHAREABLE.items() if k != "documents"],
                                   default=["members", "reports"], validate_choice=True)
    # The case documents to share, ticked one by one (choices: the case's documents, set by the view).
    document_ids = SelectMultipleField("分享的案件文件（勾選才分享；對方可下載，每次下載留下紀錄）", coerce=int,
                                       choices=[], validate_choice=True)
    consent = BooleanField("案家已同意轉介並分享上列資料")
    consent_by = StringField("同意人（案家成員）", validators=[optional(), max_length("同意人", 60)])
    legal_basis = StringField("未取得同意時的法律依據（限督導）", validators=[optional(), max_length("法律依據", 200)])
    urgency = RadioField("急迫性", choices=Urgency.choices(), default=Urgency.NORMAL.value, validators=[chosen("急迫性")])


class AcceptForm(ActionForm):
    PREFIX = "ac"
    served_by = StringField("服務人員", validators=[required("服務人員"), max_length("服務人員", 60)])
    lead_unit_id = SelectField("主責單位（跨縣市轉銜）", coerce=int, default=0, validate_choice=False,
        invalid_choice_message="跨縣市轉銜受案時，請指定本縣市的主責單位。")


class DeclineForm(ActionForm):
    PREFIX = "de"
    reason = SelectField("不受案原因", choices=DeclineReason.choices(), validate_choice=True)
    comment = TextAreaField("說明", validators=[required("說明"), max_length("說明", 2000)])


class CommentForm(ActionForm):
    PREFIX = "cm"
    comment = TextAreaField("說明", validators=[required("說明"), max_length("說明", 2000)])


class ForwardForm(ActionForm):
    PREFIX = "fw"
    to_unit_id = SelectField("再轉至", coerce=int, default=0, validate_choice=False,
        invalid_choice_message="請選擇本縣市的單位。")
    comment = TextAreaField("再轉理由", validators=[required("再轉理由"), max_length("再轉理由", 2000)])


class CompleteForm(ActionForm):
    PREFIX = "co"
    outcome = SelectField("服務成果", choices=ReferralOutcome.choices(), validate_choice=True)
    text = TextAreaField("成果說明", validators=[required("成果說明"), max_length("成果說明", 2000)])


class MessageForm(ActionForm):
    PREFIX = "ms"
    text = TextAreaField("留言", validators=[required("留言"), max_length("留言", 2000)])


class ServiceRecordForm(ActionForm):
    PREFIX = "sr"
    text = TextAreaField("服務內容", validators=[required("服務內容"), max_length("服務內容", 2000)])


class HandoverForm(ActionForm):
    PREFIX = "ho"
    to_unit_id = SelectField("移轉主責給", coerce=int, default=0, validate_choice=False,
        invalid_choice_message="請選擇本縣市的單位。")
    reason = TextAreaField("理由", validators=[required("理由"), max_length("理由", 2000)])


class HandoverAnswerForm(ActionForm):
    PREFIX = "ha"
    decision = RadioField("回應", choices=[("accept", "接受主責"), ("decline", "不接受")], validators=[chosen("回應")])
    note = TextAreaField("說明", validators=[optional(), max_length("說明", 2000)])


class HandoverCancelForm(ActionForm):
    PREFIX = "hc"
    note = TextAreaField("取消理由", validators=[optional(), max_length("取消理由", 2000)])


class DisputeForm(BaseForm):
    reason = TextAreaField("爭議理由", validators=[required("爭議理由"), max_length("爭議理由", 3000)])
    proposed = SelectField("建議處理", choices=[(o.value, o.label) for o in DisputeOutcome if o != DisputeOutcome.MAINTAIN],
                           validate_choice=True)
    proposed_unit_id = SelectField("改派或共案的單位", coerce=int, default=0, validate_choice=False,
        invalid_choice_message="改派或共案需指明本縣市的單位。")


class DisputeResponseForm(ActionForm):
    PREFIX = "dr"
    decision = RadioField("回應", choices=[("agree", "同意"), ("disagree", "不同意")], validators=[chosen("回應")])
    reason = TextAreaField("理由", validators=[required("理由"), max_length("理由", 2000)])


class DisputeWithdrawForm(ActionForm):
    PREFIX = "dw"
    reason = TextAreaField("撤回理由", validators=[required("撤回理由"), max_length("撤回理由", 2000)])


class DisputeDecisionForm(ActionForm):
    PREFIX = "dd"
    outcome = SelectField("裁決", choices=DisputeOutcome.choices(), validate_choice=True)
    lead_unit_id = SelectField("主責單位（改派、共案）", coerce=int, default=0, validate_choice=False,
        invalid_choice_message="改派或共案需指定本縣市的主責單位。")
    collaborator_ids = SelectMultipleField("協力單位（共案）", coerce=int, validate_choice=False)
    former_lead = SelectField("原主責單位的去留（改派、共案）", choices=list(FORMER_CHOICES.items()), default="auto",
                              validate_choice=True)
    reason = TextAreaField("裁決理由", validators=[required("裁決理由"), max_length("裁決理由", 3000)])

    def validate_collaborator_ids(self, field):
        if self.lead_unit_id.data and self.lead_unit_id.data in (field.data or []):
            raise ValidationError("同一單位不能同時是主責單位與協力單位：請取消勾選主責單位，或改選其他主責單位。")


class PartnerServiceForm(BaseForm):
    partner_org_id = SelectField("民間團體", coerce=int, default=0, validate_choice=True)
    name = StringField("服務名稱", validators=[required("服務名稱"), max_length("服務名稱", 100)])
    description = TextAreaField("服務內容", validators=[optional(), max_length("服務內容", 2000)])
    county_ids = SelectMultipleField("服務縣市", coerce=int, validate_choice=True)
    contact = StringField("聯絡方式", validators=[optional(), max_length("聯絡方式", 200)])
    capacity_note = StringField("量能說明", validators=[optional(), max_length("量能說明", 200)])
    is_active = BooleanField("提供中", default=True)
