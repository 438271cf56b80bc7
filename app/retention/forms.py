from __future__ import annotations

from wtforms import RadioField, SelectMultipleField, TextAreaField

from ..core.forms import BaseForm, FlexibleDateField, chosen, max_length, optional, required
from .models import RetentionChoice
from .services import MAX_REASON


class DecisionForm(BaseForm):
    """One decision for the cases ticked (or the one case of its page)."""

    case_ids = SelectMultipleField("案家", coerce=int, validate_choice=False)
    decision = RadioField("決定", choices=RetentionChoice.choices(), validators=[chosen("決定")])
    retain_until = FlexibleDateField("保存至（延長保存時）", validators=[optional()], allow_future=True,
                                     )
    reason = TextAreaField("理由", validators=[required("理由"), max_length("理由", MAX_REASON)],
                           render_kw={"rows": 3})
