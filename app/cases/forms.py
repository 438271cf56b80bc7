from __future__ import annotations

from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    FieldList,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TelField,
    TextAreaField,
)
from wtforms.validators import NumberRange, Optional, ValidationError

from ..core import idnumbers
from ..core.forms import (
    ActionForm,
    AmountField,
    BaseForm,
    FlexibleDateField,
    RocDateTimeField,
    chosen,
    max_length,
    optional,
    required,
)
from ..intake.reference import Relation, Sex, VulnerabilityDimension
from .documents import DESCRIPTION_MAX, DocumentKind
from .models import CaseStatus, MembershipEnd
from .reference import (
    AssessmentOutcome,
    ContactMethod,
    Level,
    MemberFlag,
    RemovalOutcome,
    SafetyResult,
    ServiceStatus,
)
from .search_index import PHONE_MIN_DIGITS


class AssignForm(ActionForm):
    PREFIX = "a"

    worker_id = SelectField("指派社工", coerce=int, validators=[chosen("指派社工")], validate_choice=True)
    version = HiddenField()  # the case as the supervisor saw it: a reassignment made meanwhile is not overwritten


class ContactForm(ActionForm):
    PREFIX = "c"

    contacted_at = RocDateTimeField("訪視時間", validators=[required("訪視時間")])
    method = SelectField("方式", choices=ContactMethod.choices(), default=ContactMethod.HOME_VISIT.value, validate_choice=True)
    duration_minutes = IntegerField("時間（分鐘）", validators=[Optional(), NumberRange(0, 1440, message="需為 0 到 1440 分鐘。")])
    persons_seen = SelectMultipleField("會見對象", coerce=int, validate_choice=True)
    child_seen = BooleanField("已親見兒少（面對面）")
    note = TextAreaField("紀錄", validators=[optional(), max_length("紀錄", 5000)])


class VulnerabilityForm(ActionForm):
    PREFIX = "v"

    first = SelectField("第一面向", choices=[("", "請選擇")] + VulnerabilityDimension.choices(), default="", validate_choice=True)
    second = SelectField("第二面向", choices=[("", "（無）")] + VulnerabilityDimension.choices(), default="", validate_choice=True)
    third = SelectField("第三面向", choices=[("", "（無）")] + VulnerabilityDimension.choices(), default="", validate_choice=True)
    factor_ids = SelectMultipleField("風險因子", coerce=int, validate_choice=True)
    override_level = SelectField("調整脆弱程度", choices=[("", "依因子（不調整）")] + Level.choices(), default="", validate_choice=True)
    override_reason = TextAreaField("調整理由", validators=[optional(), max_length("調整理由", 1000)])


class AssessmentReportForm(ActionForm):
    PREFIX = "ar"

    reason_confirmed = TextAreaField("一、通報事由之確認", validators=[required("通報事由之確認"), max_length("通報事由之確認", 5000)])
    diagnosis = TextAreaField("二、問題診斷及評估", validators=[required("問題診斷及評估"), max_length("問題診斷及評估", 5000)])
    goals = TextAreaField("三、服務目標之訂定", validators=[required("服務目標之訂定"), max_length("服務目標之訂定", 5000)])
    plan_proposal = TextAreaField("四、服務計畫之建議", validators=[required("服務計畫之建議"), max_length("服務計畫之建議", 5000)])


class TipvdaForm(ActionForm):
    PREFIX = "t"

    answers = FieldList(RadioField(choices=[("1", "是"), ("0", "否")], validators=[Optional()]), label="TIPVDA 題目", min_entries=15, max_entries=40)


class SafetyForm(ActionForm):
    PREFIX = "s"

    member_id = SelectField("兒少", coerce=int, validators=[chosen("兒少")], validate_choice=True)
    result = RadioField("安全評估結果", choices=SafetyResult.choices(), validators=[chosen("安全評估結果")])
    note = TextAreaField("說明", validators=[optional(), max_length("說明", 2000)])


class DecisionForm(ActionForm):
    PREFIX = "d"

    outcome = RadioField("評估結果", choices=AssessmentOutcome.choices(), validators=[chosen("評估結果")])
    note = TextAreaField("說明", validators=[optional(), max_length("說明", 2000)])


class ReviewForm(ActionForm):
    PREFIX = "rv"

    decision = RadioField("審核", choices=[("approve", "核准"), ("return", "退回")], validators=[chosen("審核")])
    comment = TextAreaField("意見", validators=[optional(), max_length("意見", 2000)])


class ClosingForm(ActionForm):
    PREFIX = "cl"

    reason = TextAreaField("結案理由", validators=[required("結案理由"), max_length("結案理由", 2000)])
    closing_level = SelectField("結案時脆弱程度", choices=[("", "請選擇")] + Level.choices(), default="", validate_choice=True)


class ReopenForm(ActionForm):
    PREFIX = "ro"

    reason = TextAreaField("重新開啟理由", validators=[required("重新開啟理由"), max_length("理由", 2000)])


class PlanForm(ActionForm):
    PREFIX = "p"

    goals = TextAreaField("服務目標", validators=[required("服務目標"), max_length("服務目標", 5000)])
    agreed_by = StringField("與案家誰共同訂定", validators=[required("與案家誰共同訂定"), max_length("共同訂定者", 100)])
    agreed_on = FlexibleDateField("訂定日期", validators=[required("訂定日期")])
    review_due = FlexibleDateField("預定檢討日期", validators=[required("預定檢討日期")], allow_future=True)


class PlanReviewForm(ActionForm):
    PREFIX = "pr"

    note = TextAreaField("檢討內容", validators=[required("檢討內容"), max_length("檢討內容", 5000)])
    next_review = FlexibleDateField("下次檢討日期", validators=[optional()], allow_future=True)


class ServiceForm(ActionForm):
    PREFIX = "sv"

    # choices: the catalogue in force (catalogue.service_choices), set by the view
    item = SelectField("服務項目", choices=[("", "請選擇服務項目")], default="", validators=[chosen("服務項目")], validate_choice=True)
    status = RadioField("狀態", choices=ServiceStatus.choices(), default=ServiceStatus.DELIVERED.value, validators=[chosen("狀態")])
    on = FlexibleDateField("日期", validators=[required("日期")], allow_future=True)
    amount = AmountField("金額（新臺幣元；現金、實物給付）", validators=[Optional(), NumberRange(0, 10_000_000, message="金額需為 0 到 1,000 萬元。")])
    note = TextAreaField("說明", validators=[optional(), max_length("說明", 2000)])


class NoteForm(ActionForm):
    PREFIX = "n"

    text = TextAreaField("工作紀錄", validators=[required("工作紀錄"), max_length("工作紀錄", 10000)])


class HouseholdForm(ActionForm):
    PREFIX = "h"

    version = HiddenField()
    address = StringField("地址", validators=[optional(), max_length("地址", 200)])
    phone = TelField("聯絡電話", validators=[optional(), max_length("聯絡電話", 30)])


def _checked_id_number(field):
    """The ID number's format and check digit (身分證、居留證), normalised; blank is 「不詳」."""
    message = idnumbers.problem(field.data or "")
    if message:
        raise ValidationError(message)
    field.data = idnumbers.normalise(field.data or "")


class MemberForm(ActionForm):
    """A new member of the household."""

    PREFIX = "mb"

    relation = SelectField("與案主關係", choices=[("", "請選擇")] + Relation.choices(), default="",
                           validators=[chosen("與案主關係")], validate_choice=True)
    name = StringField("姓名", validators=[required("姓名"), max_length("姓名", 60)])
    sex = SelectField("性別", choices=Sex.choices(), default=Sex.UNKNOWN.value, validate_choice=True)
    birth_date = FlexibleDateField("出生日期（民國，如 105/03/14）", validators=[optional()])
    id_number = StringField("身分證號或居留證號（不詳請留空）", validators=[optional(), max_length("身分證號", 12)])
    flags = SelectMultipleField("註記", choices=MemberFlag.choices(), validate_choice=True)
    welfare_type = SelectField("福利身分別", choices=[("", "（未填）")], default="",  # the statuses offered today, set by the view
                               validate_choice=True)
    phone = TelField("電話", validators=[optional(), max_length("電話", 30)])

    def validate_relation(self, field):
        if not field.data:
            raise ValidationError("請選擇「與案主關係」。")

    def validate_id_number(self, field):
        _checked_id_number(field)


class MemberCorrectionForm(ActionForm):
    """Correct a member's name, ID number or birth date (the previous value stays in the history)."""

    PREFIX = "mc"

    name = StringField("姓名", validators=[required("姓名"), max_length("姓名", 60)])
    id_number = StringField("身分證號或居留證號（不詳請留空）", validators=[optional(), max_length("身分證號", 12)])
    birth_date = FlexibleDateField("出生日期（民國，如 105/03/14）", validators=[optional()])
    reason = StringField("更正原因", validators=[required("更正原因"), max_length("更正原因", 200)])

    def validate_id_number(self, field):
        _checked_id_number(field)


class MemberEndForm(ActionForm):
    """A member leaves the household: moved out, deceased, other."""

    PREFIX = "me"

    reason = RadioField("離開原因", choices=MembershipEnd.choices(), validators=[chosen("離開原因")])
    ended_on = FlexibleDateField("離開日期（民國，如 115/12/01）", validators=[required("離開日期")])
    note = StringField("說明", validators=[optional(), max_length("說明", 200)])


class SearchForm(BaseForm):
    class Meta:
        csrf = False  # a GET search changes nothing

    name = StringField("姓名（可部分）", validators=[optional(), max_length("姓名", 30)])
    id_number = StringField("身分證號", validators=[optional(), max_length("身分證號", 12)])
    case_no = StringField("案號", validators=[optional(), max_length("案號", 30)])
    phone = TelField("電話", validators=[optional(), max_length("電話", 30)])
    address = StringField("地址", validators=[optional(), max_length("地址", 100)])
    worker_id = SelectField("社工", coerce=int, default=0, validate_choice=False)
    status = SelectField("狀態", choices=[("", "全部"), ("open", "未結案（全部）")] + CaseStatus.choices(), default="",
                         validate_choice=True)
    due = SelectField("期限", choices=[("", "不限"), ("first_visit_overdue", "首次訪視逾期"),
                                       ("report_overdue", "評估報告逾期"), ("child_seen_overdue", "第一級 24 小時未親見"),
                                       ("plan_review_overdue", "服務計畫檢討逾期")],
                      default="", validate_choice=True)

    def validate_phone(self, field):
        text = (field.data or "").strip()
        if text and sum(c.isdigit() for c in text) < PHONE_MIN_DIGITS:
            raise ValidationError(f"請至少輸入 {PHONE_MIN_DIGITS} 位數字（可只輸入電話的一部分，例如末 4 碼）。")


class TargetGroupForm(ActionForm):
    """Mark the family or one member as a target group (choices: the groups in force, set by the view)."""

    PREFIX = "tg"

    group_code = SelectField("服務對象", choices=[("", "請選擇服務對象")], default="", validators=[chosen("服務對象")],
                             validate_choice=True)
    member_id = SelectField("成員", coerce=int, choices=[(0, "全家")], default=0, validate_choice=True)
    since = FlexibleDateField("註記日期（自何時起）", validators=[required("註記日期")])
    note = StringField("說明", validators=[optional(), max_length("說明", 200)])


class RemovalRequestForm(ActionForm):
    """A request to a platform to remove an intimate image."""

    PREFIX = "ir"

    platform = StringField("平台", validators=[required("平台"), max_length("平台", 100)])
    member_id = SelectField("被害人", coerce=int, choices=[(0, "（未指定）")], default=0, validate_choice=True)
    asked_on = FlexibleDateField("申請移除日期", validators=[required("申請移除日期")])
    outcome = RadioField("結果", choices=RemovalOutcome.choices(), default=RemovalOutcome.PENDING.value,
                         validators=[chosen("結果")])
    outcome_on = FlexibleDateField("移除或拒絕日期", validators=[optional()])
    note = TextAreaField("說明", validators=[optional(), max_length("說明", 2000)])


class TargetGroupEndForm(ActionForm):
    """End a target-group mark: its last day (ROC) and why."""

    PREFIX = "te"

    ended_on = FlexibleDateField("結束日期（最後適用日）", validators=[required("結束日期")])
    reason = StringField("結束理由", validators=[required("結束理由"), max_length("結束理由", 200)])


class RemovalCorrectionForm(ActionForm):
    """Correct a recorded removal outcome (the old value is kept), with a reason."""

    PREFIX = "ic"

    outcome = RadioField("更正後的結果", choices=RemovalOutcome.choices(), validators=[chosen("更正後的結果")])
    outcome_on = FlexibleDateField("更正後的移除或拒絕日期", validators=[optional()])
    reason = TextAreaField("更正理由", validators=[required("更正理由"), max_length("更正理由", 2000)])


class RemovalOutcomeForm(ActionForm):
    PREFIX = "io"

    outcome = RadioField("結果", choices=[(o.value, o.label) for o in RemovalOutcome if o != RemovalOutcome.PENDING],
                         validators=[chosen("結果")])
    outcome_on = FlexibleDateField("移除或拒絕日期", validators=[required("移除或拒絕日期")])


class DocumentForm(ActionForm):
    """A file attached to the case: what it is is checked from its content by the service."""

    PREFIX = "doc"

    file = FileField("檔案（PDF、JPEG 或 PNG）")
    kind = SelectField("文件類別", choices=[("", "請選擇")] + DocumentKind.choices(), default="",
                       validators=[chosen("文件類別")], validate_choice=True)
    description = StringField("說明", validators=[optional(), max_length("說明", DESCRIPTION_MAX)],
                              description="例如：案母簽署之服務同意書、○○地方法院保護令裁定")


class DocumentDeleteForm(ActionForm):
    PREFIX = "dx"

    reason = StringField("刪除理由", validators=[required("刪除理由"), max_length("刪除理由", DESCRIPTION_MAX)])
