from __future__ import annotations

import re

from wtforms import FieldList, FormField, IntegerField, RadioField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, NumberRange

from ..core.forms import (
    ActionForm,
    BaseForm,
    FlexibleDateField,
    SubForm,
    chosen,
    max_length,
    optional,
    parse_flexible_date,
    required,
    roc_short,
)
from .models import DocumentKind, Recommendation

# Agenda sections an item can come from (the middle part of a 案號).
SECTIONS = [(2, "貳、前次會議紀錄確認"), (3, "參、歷次會議列管事項"), (4, "肆、報告案"), (5, "伍、討論案"),
            (6, "陸、主席裁示事項"), (7, "柒、臨時動議"), (1, "壹、主持人致詞")]


class SeriesForm(ActionForm):
    PREFIX = "se"
    kind = SelectField("會議類別", validate_choice=True)
    name = StringField("會議名稱", validators=[required("會議名稱"), max_length("會議名稱", 100)])
    secretariat_unit_id = SelectField("幕僚（秘書）單位", coerce=int, validate_choice=True)


class AgendaEntryForm(SubForm):
    """One 報告案 or 討論案: 案由, 報告單位, 決定 (one numbered point per line)."""

    case = StringField("案由", validators=[optional(), max_length("案由", 300)])
    unit = StringField("報告單位", validators=[optional(), max_length("報告單位", 60)])
    decisions = TextAreaField("決定（每行一點）", validators=[optional(), max_length("決定", 4000)])


class NewMeetingForm(ActionForm):
    PREFIX = "nm"
    number = IntegerField("次別（第幾次，空白則接續）", validators=[optional(), NumberRange(1, 9999, "次別需為 1 到 9999。")])
    held_on = FlexibleDateField("日期", validators=[required("日期")], allow_future=True)
    starts_at = StringField("時間", validators=[optional(), max_length("時間", 20)])
    place = StringField("地點", validators=[optional(), max_length("地點", 100)])
    chair = StringField("主持人", validators=[optional(), max_length("主持人", 60)])


class MinutesForm(BaseForm):
    starts_at = StringField("時間", validators=[optional(), max_length("時間", 20)])
    place = StringField("地點", validators=[optional(), max_length("地點", 100)])
    chair = StringField("主持人", validators=[optional(), max_length("主持人", 60)])
    invited = TextAreaField("應出席單位及人員", validators=[optional(), max_length("應出席", 4000)])
    attendees = TextAreaField("出(列)席", validators=[optional(), max_length("出(列)席", 4000)])
    opening_remarks = TextAreaField("壹、主持人致詞", validators=[optional(), max_length("主持人致詞", 8000)])
    previous_minutes = TextAreaField("貳、前次會議紀錄確認", validators=[optional(), max_length("前次會議紀錄確認", 8000)])
    items_review = TextAreaField("參、歷次會議列管事項辦理情形", validators=[optional(), max_length("列管事項辦理情形", 8000)])
    reports = FieldList(FormField(AgendaEntryForm), label="肆、報告案", min_entries=1, max_entries=30)
    discussions = FieldList(FormField(AgendaEntryForm), label="伍、討論案", min_entries=1, max_entries=30)
    chair_instructions = TextAreaField("陸、主席裁示事項", validators=[optional(), max_length("主席裁示事項", 8000)])
    motions = TextAreaField("柒、臨時動議", validators=[optional(), max_length("臨時動議", 8000)])
    adjourned_at = StringField("捌、散會時間", validators=[optional(), max_length("散會時間", 20)])
    reason = TextAreaField("修正理由（紀錄確定後修正時必填）", validators=[optional(), max_length("修正理由", 2000)])
    version = IntegerField("紀錄版本", validators=[optional()])

    def agenda(self, name: str) -> list[dict]:
        out = []
        for entry in getattr(self, name).entries:
            case, unit = (entry.form.case.data or "").strip(), (entry.form.unit.data or "").strip()
            points = [p.strip() for p in (entry.form.decisions.data or "").splitlines() if p.strip()]
            if case or unit or points:
                out.append({"case": case, "unit": unit, "decisions": points})
        return out


class ItemForm(ActionForm):
    PREFIX = "it"
    section = SelectField("議程段落（案號的中段）", coerce=int, choices=SECTIONS, default=3, validate_choice=True)
    origin = StringField("來源（他次或他種會議，空白則為本次會議）", validators=[optional(), max_length("來源", 120)])
    title = StringField("案由（標題）", validators=[required("案由"), max_length("案由", 200)])
    instruction = TextAreaField("提示或交辦事項", validators=[required("提示或交辦事項"), max_length("提示或交辦事項", 4000)])
    lead_unit_ids = SelectMultipleField("主辦單位", coerce=int, validate_choice=True,
                                        validators=[DataRequired(message="請至少勾選一個主辦單位。")])
    assist_unit_ids = SelectMultipleField("協辦單位", coerce=int, validate_choice=True)
    due_on = FlexibleDateField("預定完成日期", validators=[optional()], allow_future=True)
    case_no = StringField("連結個案（案號，限高危機網絡會議與個案研討）", validators=[optional(), max_length("個案案號", 30)])


class ProgressForm(ActionForm):
    PREFIX = "pg"
    text = TextAreaField("辦理情形", validators=[required("辦理情形"), max_length("辦理情形", 8000)])
    recommendation = RadioField("列管建議", choices=Recommendation.choices(), default=Recommendation.CONTINUE.value,
                                validators=[chosen("列管建議")])


class InstructionForm(ActionForm):
    PREFIX = "in"
    text = TextAreaField("主席提示（每行一點）", validators=[required("主席提示"), max_length("主席提示", 4000)])


class DecisionForm(ActionForm):
    PREFIX = "dc"
    decision = RadioField("主席決定", choices=Recommendation.choices(), validators=[chosen("主席決定")])


class MergeForm(ActionForm):
    PREFIX = "mg"
    numbers = StringField("併入的事項案號（以空白分隔）", validators=[required("案號"), max_length("案號", 300)])


class CaseLinkForm(ActionForm):
    PREFIX = "cl"
    case_no = StringField("個案案號（空白則取消連結）", validators=[optional(), max_length("個案案號", 30)])


class DocumentForm(ActionForm):
    PREFIX = "doc"
    kind = SelectField("文件", choices=DocumentKind.choices(), validate_choice=True)


GREGORIAN = re.compile(r"^\s*[0-9０-９]{4}\s*[-/.年－／．]")


class RocOnlyDateField(FlexibleDateField):
    """A date that must be typed in the ROC calendar, as printed on the ministry's documents: a
    Gregorian year (「2018/6/4」, the seed's own slip) is refused with its ROC form, what was typed kept."""

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("description", "民國年/月/日，例如 108/06/04（請寫民國年，不寫西元年）")
        super().__init__(label, validators, **kwargs)

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        if self.data and GREGORIAN.match(self.data) and not self.process_errors:
            try:
                same = roc_short(parse_flexible_date(self.data))
            except ValueError:
                same = ""
            self.date = None
            self.process_errors.append(f"「{self.label.text}」請以民國年填寫：{self.data.strip()} 是西元日期"
                                       + (f"，民國寫成 {same}。" if same else "。"))


class TableForm(ActionForm):
    """The tracking table as made: 製表日期 (ROC, today by default), 附件 label and 註 line."""

    PREFIX = "ts"
    table_date = RocOnlyDateField("製表日期", validators=[required("製表日期")])
    annex = StringField("附件標示（如：附件2）", validators=[optional(), max_length("附件標示", 20)])
    note = TextAreaField("註（印在表下，如：註：請社家署…）", validators=[optional(), max_length("註", 1000)])


class ReleaseForm(ActionForm):
    """Release some units' parts of an item (解除列管 for them; the others continue)."""

    PREFIX = "rl"
    unit_ids = SelectMultipleField("解除列管的單位", coerce=int, validate_choice=True,
                                   validators=[DataRequired(message="請勾選要解除列管的單位。")])
    reason = StringField("理由（空白則為本次會議決定）", validators=[optional(), max_length("理由", 200)])


class ReopenForm(ActionForm):
    PREFIX = "ro"
    unit_id = SelectField("恢復列管的單位", coerce=int, validate_choice=True)
    reason = StringField("恢復列管的理由", validators=[required("恢復列管的理由"), max_length("理由", 200)])


class NoteForm(ActionForm):
    PREFIX = "nt"
    note = TextAreaField("列管建議（文字，印在「列管建議」欄，取代 V）", validators=[optional(), max_length("列管建議", 200)])
