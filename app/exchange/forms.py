from __future__ import annotations

from wtforms import SelectField, SelectMultipleField, StringField
from wtforms.validators import ValidationError

from ..core.forms import BaseForm, chosen, max_length, required
from .models import Scope, SystemKind


class ClientForm(BaseForm):
    name = StringField("系統或單位名稱", validators=[required("系統或單位名稱"), max_length("名稱", 100)])
    system_kind = SelectField("系統類別", validators=[chosen("系統類別")], validate_choice=True)
    scopes = SelectMultipleField("授權範圍", validate_choice=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.system_kind.choices = [("", "請選擇")] + [(k.value, k.label) for k in SystemKind]
        self.scopes.choices = [(s.value, f"{s.value}：{s.label}") for s in Scope]

    def validate_scopes(self, field):
        if not field.data:
            raise ValidationError("請至少勾選一項授權範圍。")
