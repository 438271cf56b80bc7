"""Forms for reports: the public form, the intake worker's form, the dispatcher's decisions."""
from __future__ import annotations

from wtforms import (
    BooleanField,
    EmailField,
    FieldList,
    FormField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TelField,
    TextAreaField,
)
from wtforms.validators import NumberRange, Optional, ValidationError

from ..core import deadlines, idnumbers
from ..core.forms import (
    BaseForm,
    FlexibleDateField,
    RocDateTimeField,
    SubForm,
    chosen,
    max_length,
    optional,
    required,
)
from .models import ChildClass, ChildGrade, InvalidReason
from .reference import (
    COMMON_CHANNELS,
    Concern,
    Profession,
    Relation,
    ReporterType,
    ReportingChannel,
    Sex,
    VulnerabilityDimension,
    tipvda,
)

MAX_PERSONS = 10


class PersonForm(SubForm):
    name = StringField("姓名", validators=[optional(), max_length("姓名", 60)])
    sex = SelectField("性別", choices=Sex.choices(), default=Sex.UNKNOWN.value, validate_choice=True)
    birth_date = FlexibleDateField("出生日期", validators=[optional()])
    estimated_age = IntegerField("推估年齡", validators=[Optional(), NumberRange(0, 120, message="推估年齡需為 0 到 120 歲。")])
    id_number = StringField("身分證／居留證號", validators=[optional(), max_length("身分證／居留證號", 12)])
    relation = SelectField("與案主關係", choices=Relation.choices(), default=Relation.SUBJECT.value, validate_choice=True)
    school = StringField("就讀學校", validators=[optional(), max_length("就讀學校", 100)])
    phone = TelField("電話", validators=[optional(), max_length("電話", 30)])

    def validate_id_number(self, field):
        message = idnumbers.problem(field.data or "")
        if message:
            raise ValidationError(message)
        field.data = idnumbers.normalise(field.data or "")

    def is_blank(self) -> bool:
        return not any([(self.name.data or "").strip(), self.birth_date.data, self.estimated_age.data is not None,
                        (self.id_number.data or "").strip(), (self.phone.data or "").strip()])


class ReportFieldsMixin:
    """What every report says, whoever writes it down."""

    district_id = SelectField("案家所在行政區", coerce=int, validators=[chosen("案家所在行政區")],
                              invalid_choice_message="行政區不在所選的縣市內，請重新選擇。")
    address = StringField("案家地址（村里、路街）", validators=[optional(), max_length("案家地址", 200)])
    child_location = StringField("兒少目前所在地（若與住址不同）", validators=[optional(), max_length("兒少目前所在地", 200)])
    persons = FieldList(FormField(PersonForm), label="相關人員", min_entries=1, max_entries=MAX_PERSONS)
    concerns = SelectMultipleField("您擔心的情形", choices=Concern.choices(), validate_choice=True)
    dimensions = SelectMultipleField("脆弱家庭面向", choices=VulnerabilityDimension.choices(), validate_choice=True)
    narrative = TextAreaField("發生了什麼事（事由）", validators=[required("發生了什麼事"), max_length("事由", 5000)])
    urgent = BooleanField("情況緊急（兒少或當事人人身安全有立即危險）")
    reporter_type = RadioField("您的身分", choices=ReporterType.choices(), default=ReporterType.PUBLIC.value,
                               validators=[chosen("您的身分")])
    anonymous = BooleanField("我要匿名通報（不留姓名與聯絡方式）")
    reporter_name = StringField("通報人姓名", validators=[optional(), max_length("通報人姓名", 60)])
    reporter_phone = TelField("通報人電話", validators=[optional(), max_length("通報人電話", 30)])
    reporter_email = EmailField("通報人電子郵件", validators=[optional(), max_length("通報人電子郵件", 120)])
    reporter_profession = SelectField("專業類別", choices=[("", "請選擇")] + Profession.choices(), default="",
                                      validate_choice=True)
    reporter_organisation = StringField("服務機關（構）", validators=[optional(), max_length("服務機關（構）", 100)])

    def validate_concerns(self, field):
        if not field.data:
            raise ValidationError("請至少勾選一項擔心的情形。")

    def validate_reporter_profession(self, field):
        if self.reporter_type.data == ReporterType.MANDATED.value and not field.data:
            raise ValidationError("責任通報人員請選擇專業類別。")

    def validate_reporter_organisation(self, field):
        if self.reporter_type.data == ReporterType.MANDATED.value and not (field.data or "").strip():
            raise ValidationError("責任通報人員請填寫服務機關（構）。")

    def validate_persons(self, field):
        if all(entry.form.is_blank() for entry in field.entries):
            raise ValidationError("請至少填寫一位相關人員（姓名、年齡或出生日期擇一即可）。")


class PublicReportForm(ReportFieldsMixin, BaseForm):
    county_id = SelectField("案家所在縣市", coerce=int, validators=[chosen("案家所在縣市")], validate_choice=True)
    website = StringField("請勿填寫此欄")  # honeypot: people never see it

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("district_id", "county_id"):  # the page's order (縣市, 行政區 first): the error summary follows it
            self._fields.move_to_end(name, last=False)


class IntakeReportForm(ReportFieldsMixin, BaseForm):
    channel = SelectField("通報管道", validators=[chosen("通報管道")], validate_choice=True)
    source_name = StringField("來源單位或系統", validators=[optional(), max_length("來源單位", 100)])
    received_at = RocDateTimeField("受理時間", validators=[required("受理時間")])
    learned_at = RocDateTimeField("通報人知悉時間", validators=[Optional()])
    actions_taken = TextAreaField("已採取的處置", validators=[optional(), max_length("已採取的處置", 2000)])
    tipvda = FieldList(RadioField(choices=[("1", "是"), ("0", "否")], validators=[Optional()]), label="TIPVDA 親密關係暴力危險評估", min_entries=15,
                       max_entries=15)
    victim_wishes = TextAreaField("被害人意願及協助事項", validators=[optional(), max_length("被害人意願", 2000)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        common = [ReportingChannel(c) for c in COMMON_CHANNELS]
        rest = [c for c in ReportingChannel if c not in common]
        self.channel.choices = [("", "請選擇")] + [(c.value, c.label) for c in common + rest]
        for entry, text in zip(self.tipvda.entries, tipvda()["items"]):
            entry.label.text = text

    def validate_tipvda(self, field):
        if Concern.IPV.value in (self.concerns.data or []):
            unanswered = [i + 1 for i, e in enumerate(field.entries) if e.data not in ("0", "1")]
            if unanswered:
                raise ValidationError(f"親密關係暴力需完成 TIPVDA 15 題；尚未回答第 {'、'.join(map(str, unanswered))} 題。")

    def validate_learned_at(self, field):
        if field.data and self.received_at.data and field.data > self.received_at.data:
            raise ValidationError("知悉時間不可晚於受理時間。")


class StatusLookupForm(BaseForm):
    report_no = StringField("通報編號", validators=[required("通報編號"), max_length("通報編號", 20)])
    code = StringField("查詢碼", validators=[required("查詢碼"), max_length("查詢碼", 20)])


class ScreenOutForm(BaseForm):
    class Meta:
        csrf = False  # several of these share a page; CSRFProtect checks every POST

    reason = RadioField("無效原因", choices=InvalidReason.choices(), validators=[chosen("無效原因")])
    duplicate_of = StringField("原通報編號（重複通報）", validators=[optional(), max_length("原通報編號", 20)])
    duplicate_case_id = SelectField("或原個案", coerce=int, validate_choice=False, default=0)
    directed_to = StringField("已引導通報人至（非屬服務範疇）", validators=[optional(), max_length("引導至", 200)])
    note = TextAreaField("說明", validators=[optional(), max_length("說明", 2000)])


def _choice_or_none(value):
    """An unchosen list ("請選擇") is None; anything else an id (0: open a new case)."""
    if value in (None, ""):
        return None
    return int(value)


class DispatchForm(BaseForm):
    class Meta:
        csrf = False  # several of these share a page; CSRFProtect checks every POST

    lead_unit_id = SelectField("主責單位", coerce=int, validators=[chosen("主責單位")], validate_choice=True)
    collaborator_ids = SelectMultipleField("協力單位（共案）", coerce=int, validate_choice=True)
    child_grade = SelectField("兒少保護分級", choices=[("", "不適用")] + ChildGrade.choices(), default="",
                              validate_choice=True)
    child_class = SelectField("兒少保護分類", choices=[("", "不適用")] + ChildClass.choices(), default="",
                              validate_choice=True)
    attach_case_id = SelectField("併入案家既有個案", coerce=_choice_or_none, validate_choice=False, default=0)
    note = TextAreaField("派案理由", validators=[required("派案理由"), max_length("派案理由", 2000)])

    def validate_attach_case_id(self, field):
        # the household has an open case: opening another or joining it is the dispatcher's
        # explicit choice, never a default a tired person passes over
        if field.data is None:
            raise ValidationError("此家戶已有服務中的個案，請選擇「開新案」或併入既有個案。")


class ReferForm(BaseForm):
    class Meta:
        csrf = False  # several of these share a page; CSRFProtect checks every POST

    referred_to = StringField("轉介資源或單位", validators=[required("轉介資源或單位"), max_length("轉介資源", 200)])
    note = TextAreaField("說明", validators=[optional(), max_length("說明", 2000)])


class TransferForm(BaseForm):
    class Meta:
        csrf = False  # several of these share a page; CSRFProtect checks every POST

    county_id = SelectField("移轉至縣市", coerce=int, validators=[chosen("移轉至縣市")], validate_choice=True)
    note = TextAreaField("移轉理由", validators=[required("移轉理由"), max_length("移轉理由", 2000)])


class ReleaseForm(BaseForm):
    class Meta:
        csrf = False  # several of these share a page; CSRFProtect checks every POST

    note = StringField("釋回原因", validators=[optional(), max_length("釋回原因", 200)])


class DispatchRuleForm(BaseForm):
    effective_from = FlexibleDateField("生效日", validators=[required("生效日")], allow_future=True)
    urgent_hours = IntegerField("緊急案件時限（小時）", validators=[NumberRange(1, deadlines.RULES["dispatch.child_protection"].hours, message="需為 1 到 24 小時（兒少法第 53 條：至遲不得超過 24 小時）。")], default=deadlines.NATIONAL_DISPATCH.urgent_hours)
    other_days = IntegerField("其他案件時限（日）", validators=[NumberRange(1, 14, message="需為 1 到 14 日。")], default=deadlines.NATIONAL_DISPATCH.other_days)
    other_in_working_days = BooleanField("其他案件以工作日計（不含週六、週日）")
    tipvda_threshold = IntegerField("TIPVDA 高度危險門檻（分）", validators=[NumberRange(1, 15, message="需為 1 到 15 分。")], default=deadlines.NATIONAL_DISPATCH.tipvda_threshold)
    urgent_concerns = SelectMultipleField("一律 24 小時內派案的類別（兒少保護、性侵害依法必含）", choices=Concern.choices(), validate_choice=True)
    urgent_flag_counts = BooleanField("標記「情況緊急」的通報（如兒少第一級情形）一律 24 小時", default=True)
    referral_response_days = IntegerField("轉介回覆期限（工作日）", validators=[NumberRange(1, 30, message="需為 1 到 30 個工作日。")], default=deadlines.RULES["referral.response"].working_days)
    dispute_response_days = IntegerField("爭議回應期限（工作日）", validators=[NumberRange(1, 30, message="需為 1 到 30 個工作日。")], default=deadlines.RULES["dispute.response"].working_days)
    dispute_decision_days = IntegerField("爭議裁決期限（工作日）", validators=[NumberRange(1, 30, message="需為 1 到 30 個工作日。")], default=deadlines.RULES["dispute.decision"].working_days)
    note = StringField("說明（例如 依府內會議決議）", validators=[optional(), max_length("說明", 200)])


class ApiTokenForm(BaseForm):
    organisation = StringField("使用單位或系統名稱", validators=[required("使用單位或系統名稱"), max_length("名稱", 100)])
    channel = SelectField("通報管道", validators=[chosen("通報管道")], validate_choice=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.channel.choices = [("", "請選擇")] + [(c.value, c.label) for c in ReportingChannel]
