"""Form helpers: Chinese messages for the validators every form uses."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import Form as _Form
from wtforms.validators import DataRequired, Email, InputRequired, Length, Optional, Regexp


def database_int(value):
    """``coerce`` for id choices: a number the database's integer can hold, else WTForms' invalid choice."""
    number = int(value)
    if not -2**31 <= number < 2**31:
        raise ValueError("out of range")
    return number


class _Meta:
    locales = ("zh_TW", "zh")

    def bind_field(self, form, unbound_field, options):
        if unbound_field.kwargs.get("coerce") is int:  # every coerce=int select holds ids or small codes
            options = {**options, "coerce": database_int}
        return super().bind_field(form, unbound_field, options)


class BaseForm(FlaskForm):
    """Every form of the app: WTForms' own messages in Traditional Chinese."""

    class Meta(_Meta):
        pass


class ActionForm(BaseForm):
    """One of several forms sharing a page: each has a prefix (unique field ids
    and labels). Per-form CSRF is off because CSRFProtect checks every POST."""

    PREFIX = ""

    class Meta:
        csrf = False

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", self.PREFIX)
        super().__init__(*args, **kwargs)


class SubForm(_Form):
    """A form nested in another (FieldList/FormField), also in Chinese."""

    class Meta(_Meta):
        pass


def required(label: str):
    return DataRequired(message=f"請填寫「{label}」。")


def chosen(label: str):
    return InputRequired(message=f"請選擇「{label}」。")


def max_length(label: str, n: int):
    return Length(max=n, message=f"「{label}」最多 {n} 個字。")


def length_between(label: str, lo: int, hi: int):
    return Length(min=lo, max=hi, message=f"「{label}」需為 {lo} 到 {hi} 個字。")


def email(label: str = "電子郵件"):
    return Email(message=f"「{label}」的格式不正確。", check_deliverability=False)


def pattern(regex: str, message: str):
    return Regexp(regex, message=message)


optional = Optional


# --- Dates as officials and the public write them -------------------------

import re as _re
from datetime import date as _date

from wtforms import StringField as _StringField

_ROC = _re.compile(r"^(?:民國)?\s*(\d{1,3})\s*[/.\-年]\s*(\d{1,2})\s*[/.\-月]\s*(\d{1,2})\s*日?$")
_ISO = _re.compile(r"^(\d{4})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(\d{1,2})$")


def parse_flexible_date(text: str) -> _date | None:
    """``1987-05-12``, ``1987/5/12``, ROC ``76/05/12``, ``076.05.12`` or ``民國76年5月12日``."""
    text = (text or "").strip().translate({c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)})
    if not text:
        return None
    match = _ISO.match(text)
    year_offset = 0
    if not match:
        match = _ROC.match(text)
        year_offset = 1911
    if not match:
        raise ValueError("日期格式看不懂，請寫成 76/05/12（民國）或 1987-05-12（西元）。")
    year, month, day = (int(g) for g in match.groups())
    try:
        return _date(year + year_offset, month, day)
    except ValueError:
        raise ValueError("這個日期不存在，請再核對月份與日期。") from None


class FlexibleDateField(_StringField):
    """A text date field that takes ROC or Gregorian dates and keeps what was typed on error."""

    def __init__(self, label=None, validators=None, earliest: _date | None = _date(1900, 1, 1),
                 allow_future: bool = False, **kwargs):
        kwargs.setdefault("render_kw", {"placeholder": "例：76/05/12 或 1987-05-12", "inputmode": "numeric"})
        super().__init__(label, validators, **kwargs)
        self.earliest = earliest
        self.allow_future = allow_future
        self.date = None

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        self.date = None
        try:
            self.date = parse_flexible_date(self.data)
        except ValueError as exc:
            self.process_errors.append(str(exc))
            return
        if self.date is not None:
            if self.earliest and self.date < self.earliest:
                self.process_errors.append(f"日期不可早於 {self.earliest.year} 年。")
            elif not self.allow_future and self.date > _date.today():
                self.process_errors.append("日期不可晚於今天。")

    def _value(self):
        return self.data or ""
