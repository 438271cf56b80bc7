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
#
# Every date a person types is ROC (民國年/月/日), in one text field with the one vendored picker
# (static/js/roc-date.js, progressive enhancement over ``data-roc-date``). A four-digit year is
# taken as Gregorian and converted (the hint says so): people paste dates from other systems.

import re as _re
from datetime import date as _date, datetime as _datetime, time as _time

from markupsafe import Markup as _Markup
from wtforms import Field as _Field, StringField as _StringField
from wtforms.validators import StopValidation as _StopValidation

_ROC = _re.compile(r"^(?:民國)?\s*(\d{1,3})\s*[/.\-年]\s*(\d{1,2})\s*[/.\-月]\s*(\d{1,2})\s*日?$")
_ISO = _re.compile(r"^(\d{4})\s*[/.\-年]\s*(\d{1,2})\s*[/.\-月]\s*(\d{1,2})\s*日?$")
_TIME = _re.compile(r"^(\d{1,2})\s*[:：]\s*(\d{1,2})$")
_WITH_TIME = _re.compile(r"^(.*?\d)\s*(?:T|\s)\s*(\d{1,2}\s*[:：]\s*\d{1,2})(?::\d{2})?$")

DATE_HINT = "民國年/月/日，例如 115/12/06（寫 4 位數的西元年也可以，系統會換算成民國）"
TIME_HINT = "時間為 24 小時制的 時:分，例如 14:30"
DATE_PATTERN = r"\s*(民國)?\s*\d{2,4}\s*[\/.\-年]\s*\d{1,2}\s*[\/.\-月]\s*\d{1,2}\s*日?\s*"
TIME_PATTERN = r"\s*([01]?\d|2[0-3])\s*[:：]\s*[0-5]\d\s*"


def _halfwidth(text: str) -> str:
    return (text or "").strip().translate({c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)}).replace("\u3000", " ")


def parse_flexible_date(text: str) -> _date | None:
    """ROC ``115/12/06``, ``115.12.6``, ``民國115年12月6日``; a Gregorian year (``2026/12/06``, ``2026-12-06``) too."""
    text = _halfwidth(text)
    if not text:
        return None
    match = _ISO.match(text)
    year_offset = 0
    if not match:
        match = _ROC.match(text)
        year_offset = 1911
    if not match:
        raise ValueError("日期格式看不懂，請寫成民國年/月/日，例如 115/12/06。")
    year, month, day = (int(g) for g in match.groups())
    if year_offset and year < 1:
        raise ValueError("民國年需從 1 年起，例如 115/12/06。")
    try:
        return _date(year + year_offset, month, day)
    except ValueError:
        raise ValueError("這個日期不存在，請再核對月份與日期。") from None


def parse_time(text: str) -> _time | None:
    text = _halfwidth(text)
    if not text:
        return None
    match = _TIME.match(text)
    if not match:
        raise ValueError("時間請寫成 24 小時制的 時:分，例如 14:30。")
    hour, minute = int(match.group(1)), int(match.group(2))
    if hour > 23 or minute > 59:
        raise ValueError("這個時間不存在，請寫 00:00 到 23:59 之間的時間。")
    return _time(hour, minute)


def roc_short(value: _date | None) -> str:
    return "" if value is None else f"{value.year - 1911:d}/{value.month:02d}/{value.day:02d}"


def _date_attrs(kwargs: dict) -> dict:
    attrs = {"type": "text", "inputmode": "numeric", "autocomplete": "off", "placeholder": "115/12/06",
             "pattern": DATE_PATTERN, "data-roc-date": "", "title": DATE_HINT}
    attrs.update(kwargs)
    return attrs


class FlexibleDateField(_StringField):
    """The one date field: ROC text with the ROC picker; keeps what was typed on error.
    ``data`` is the text, ``date`` the parsed date. The hint is the field's description."""

    def __init__(self, label=None, validators=None, earliest: _date | None = _date(1900, 1, 1),
                 allow_future: bool = False, **kwargs):
        kwargs.setdefault("description", DATE_HINT)
        super().__init__(label, validators, **kwargs)
        self.earliest = earliest
        self.allow_future = allow_future
        self.date = None

    def __call__(self, **kwargs):
        return super().__call__(**_date_attrs(kwargs))

    def process_data(self, value):
        # a date object given as default or by a view shows as ROC
        if isinstance(value, _datetime):
            value = value.date()
        self.data = roc_short(value) if isinstance(value, _date) else value

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
                self.process_errors.append(f"日期不可早於民國 {self.earliest.year - 1911} 年。"
                                           if self.earliest.year > 1911 else "日期太早，請再核對年份。")
            elif not self.allow_future and self.date > _date.today():
                self.process_errors.append("日期不可晚於今天。")

    def _value(self):
        return self.data or ""


class RocDateTimeField(_Field):
    """A moment as people write it: an ROC date (the same picker) and a 24-hour ``HH:MM`` time, in two
    inputs ``name`` and ``name-time``. ``data`` is a naive datetime in Taipei wall-clock time. A date input
    that already holds a time (``115/12/06 14:30``, or ``2026-12-06T14:30`` from an older client) is read whole."""

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("description", DATE_HINT + "；" + TIME_HINT)
        super().__init__(label, validators, **kwargs)
        self.raw_date = None
        self.raw_time = None

    @property
    def time_name(self) -> str:
        return f"{self.name}-time"

    def process(self, formdata, data=None, extra_filters=None):
        self._formdata = formdata
        super().process(formdata, data, extra_filters)

    def process_formdata(self, valuelist):
        formdata = getattr(self, "_formdata", None)
        self.raw_date = (valuelist[0] if valuelist else "") or ""
        self.raw_time = (formdata.get(self.time_name, "") if formdata is not None else "") or ""
        self.data = None
        text, time_text = _halfwidth(self.raw_date), _halfwidth(self.raw_time)
        both = _WITH_TIME.match(text)
        if both:
            text, time_text = both.group(1), both.group(2)
        if not text and not time_text:
            return
        try:
            day = parse_flexible_date(text)
            if day is None:
                raise ValueError("請填寫日期（民國年/月/日，例如 115/12/06）。")
            at = parse_time(time_text)
            if at is None:
                raise ValueError("請填寫時間（24 小時制的 時:分，例如 14:30）。")
        except ValueError as exc:
            self.process_errors.append(str(exc))
            return
        if day.year < 1900 or day.year > 9998:
            self.process_errors.append("日期超出可記錄的範圍，請再核對年份。")
            return
        self.data = _datetime.combine(day, at)

    def pre_validate(self, form):
        if self.process_errors:
            raise _StopValidation()  # the reading error says it; no second "required" message

    def date_value(self) -> str:
        if self.raw_date is not None:
            return self.raw_date
        return roc_short(self.data.date()) if self.data else ""

    def time_value(self) -> str:
        if self.raw_time is not None:
            return self.raw_time
        return f"{self.data:%H:%M}" if self.data else ""

    def __call__(self, **kwargs):
        from wtforms.widgets import html_params

        kwargs.setdefault("id", self.id)
        css = kwargs.pop("class_", kwargs.pop("class", "form-control"))
        described = kwargs.get("aria-describedby")
        common = {k: v for k, v in kwargs.items() if k in ("aria-invalid", "required", "disabled", "readonly")}
        date_input = html_params(name=self.name, value=self.date_value(), class_=css + " roc-date-input",
                                 **_date_attrs({k: v for k, v in kwargs.items() if k != "class"}))
        time_input = html_params(type="text", id=f"{kwargs['id']}-time", name=self.time_name, value=self.time_value(),
                                 class_=css + " roc-time-input", inputmode="numeric", autocomplete="off",
                                 placeholder="14:30", pattern=TIME_PATTERN, title=TIME_HINT,
                                 **{"aria-label": "時間（時:分）"},
                                 **({"aria-describedby": described} if described else {}), **common)
        return _Markup(f'<div class="roc-datetime"><input {date_input}><input {time_input}></div>')


def roc_date_attrs(**overrides) -> _Markup:
    """The date input's attributes for a hand-written ``<input>`` (a template global): the same text field,
    pattern, hint and picker hook as :class:`FlexibleDateField`."""
    from wtforms.widgets import html_params

    return _Markup(html_params(**_date_attrs(overrides)))
