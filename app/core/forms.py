"""Form helpers: Chinese messages for the validators every form uses."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import Form as _Form
from wtforms import RadioField as _RadioField
from wtforms import SelectField as _SelectField
from wtforms import SelectMultipleField as _SelectMultipleField
from wtforms.fields.core import UnboundField
from wtforms.fields import FieldList, FormField
from wtforms.widgets import html_params
from wtforms.validators import DataRequired, Email, InputRequired, Length, Optional, Regexp, StopValidation, ValidationError


def database_int(value):
    """``coerce`` for id choices: a number the database's integer can hold, else WTForms' invalid choice."""
    number = int(value)
    if not -2**31 <= number < 2**31:
        raise ValueError("out of range")
    return number


def url_int(args, name: str, default: int | None = None) -> int | None:
    """A whole number asked in a URL's query (``?before=``, ``?unit=``): ``default`` for anything the
    database's integer cannot hold or that is no number (a typo, an edited URL), never an error page."""
    value = args.get(name, type=int)
    return value if value is not None and -2**31 <= value < 2**31 else default


MAX_PAGE = 100_000


def page_arg(args, name: str = "page") -> int:
    """The page a list is asked for (``?page=``): 1 for anything that is not a page number (0, -3, abc,
    a number too large for a database's OFFSET)."""
    value = args.get(name, 1, type=int) or 1
    return value if 1 <= value <= MAX_PAGE else 1


# --- Choices checked on the server ----------------------------------------
#
# Every select, radio group and multiple choice of every form is checked here, whatever the
# browser sent: a placeholder (「請選擇」, value 0 or "") counts as nothing chosen (an error when
# the field is required), a value that is not among the field's choices is refused, and a value
# that is not even a number where one is expected is refused, each with a Chinese message naming
# the field. The choices a view sets are the only acceptable values (a county's districts, the
# units of the caller's county...), so a district of another county or an id of another county's
# record is refused as "not in the list" before any service sees it. Fields whose choices a view
# never sets (choices None) cannot be checked here: their services check them.

def is_placeholder(value) -> bool:
    """「請選擇」: an empty value, or 0 for a choice of ids (ids start at 1). A text choice "0"
    is a real answer (否), not a placeholder."""
    return value is None or value == "" or (value == 0 and not isinstance(value, str))


def _label(field) -> str:
    return field.label.text if field.label is not None else field.name


def not_chosen_message(field) -> str:
    return f"請選擇「{_label(field)}」。"


def own_required_message(field) -> str | None:
    """The message the form itself gave the field's required check, if any (it reads better, e.g.
    「請至少勾選一個主辦單位。」)."""
    for validator in field.validators or ():
        message = getattr(validator, "message", None)
        if "required" in getattr(validator, "field_flags", {}) and isinstance(message, str) and message:
            return message
    return None


def not_in_list_message(field) -> str:
    if isinstance(getattr(field, "invalid_choice_message", None), str):
        return field.invalid_choice_message
    return f"「{_label(field)}」的選項不在清單中，請重新選擇。"


def _acceptable(field) -> set | None:
    choices = field.choices
    if not choices:
        return None
    values = set()
    for choice in field._choices_from_input(choices) or []:
        try:
            values.add(field.coerce(choice.value))
        except (ValueError, TypeError):
            continue
    return values


class _CheckedChoice:
    """The check shared by single choices (select and radio)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.type = type(self).__mro__[2].__name__  # templates see SelectField / RadioField
        self.unreadable = False

    def process_formdata(self, valuelist):
        self.unreadable = False
        if valuelist and str(valuelist[0]).strip() == "" and self.coerce is not str:
            self.data = None  # an empty placeholder of a numeric choice: nothing chosen
            return
        try:
            super().process_formdata(valuelist)
        except ValueError:
            self.data = None
            self.unreadable = True  # checked in pre_validate, with the field's own message

    def pre_validate(self, form):
        if self.unreadable:
            raise StopValidation(not_in_list_message(self))
        if is_placeholder(self.data):
            if self.flags.required:
                raise StopValidation(own_required_message(self) or not_chosen_message(self))
            acceptable = _acceptable(self)
            if (self.validate_choice and not self.flags.optional and acceptable is not None
                    and not any(is_placeholder(v) for v in acceptable)):
                raise StopValidation(not_chosen_message(self))  # the list offers no "none": one must be chosen
            return  # an optional field left on its placeholder: nothing chosen
        acceptable = _acceptable(self)
        if acceptable is not None and self.data not in acceptable:
            raise StopValidation(not_in_list_message(self))


class CheckedSelectField(_CheckedChoice, _SelectField):
    pass


class CheckedRadioField(_CheckedChoice, _RadioField):
    pass


class CheckedSelectMultipleField(_SelectMultipleField):
    """Several choices: placeholders are dropped, every other value must be in the list."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.type = "SelectMultipleField"
        self.unreadable = False

    def process_formdata(self, valuelist):
        self.unreadable = False
        try:
            super().process_formdata([v for v in valuelist if str(v).strip() != ""])
        except ValueError:
            self.data = []
            self.unreadable = True

    def pre_validate(self, form):
        if self.unreadable:
            raise StopValidation(not_in_list_message(self))
        data = [v for v in (self.data or []) if not is_placeholder(v)]
        self.data = data
        if not data:
            if self.flags.required:
                raise StopValidation(own_required_message(self) or f"請至少勾選一個「{_label(self)}」。")
            return
        acceptable = _acceptable(self)
        if acceptable is not None and any(v not in acceptable for v in data):
            raise StopValidation(not_in_list_message(self))


CHECKED = {_SelectField: CheckedSelectField, _RadioField: CheckedRadioField,
           _SelectMultipleField: CheckedSelectMultipleField}


class _Meta:
    locales = ("zh_TW", "zh")

    def bind_field(self, form, unbound_field, options):
        if unbound_field.kwargs.get("coerce") is int:  # every coerce=int select holds ids or small codes
            options = {**options, "coerce": database_int}
        checked = CHECKED.get(unbound_field.field_class)
        if checked is not None:
            unbound_field = UnboundField(checked, *unbound_field.args, **unbound_field.kwargs)
        return super().bind_field(form, unbound_field, options)

    def render_field(self, field, render_kw):
        """A text field with a maximum gets a visible counter (static/js/counters.js) instead of the
        browser's maxlength, which cuts typed or pasted text silently; the server refuses what is
        too long with a message (max_length) and keeps it on the page."""
        maximum = getattr(field.flags, "maxlength", None)
        if maximum and field.type in ("StringField", "TextAreaField", "EmailField", "TelField", "SearchField"):
            render_kw = {"maxlength": False, "data-maxlength": maximum, **render_kw}
        return super().render_field(field, render_kw)


class ErrorLine(str):
    """A line of an error summary; ``anchor`` is the id of the control (or group of controls) it is
    about, for the summary's link to the field (None when it is about the whole form)."""

    anchor: str | None = None

    def __new__(cls, text: str, anchor: str | None = None):
        line = super().__new__(cls, text)
        line.anchor = anchor or None
        return line


def _first_control_id(field) -> str | None:
    """The id to link to for a list's own error: its first entry's first control, else the list."""
    for entry in getattr(field, "entries", []):
        if isinstance(entry, FormField):
            for sub in entry.form:
                if sub.type not in ("CSRFTokenField", "HiddenField"):
                    return sub.id
        return entry.id
    return field.id


def error_summary(form) -> list[ErrorLine]:
    """The lines of a form's error summary, each starting with the field's Chinese label
    (a list's entries by their number and their own labels), never a field's code name. Each line
    knows the id of the field it is about (``ErrorLine.anchor``), for the summary's links."""
    lines: list[ErrorLine] = []

    def walk(field, prefix: str):
        label = field.label.text if field.label is not None else ""
        if isinstance(field, FormField):
            for sub in field.form:
                walk(sub, prefix)
            return
        if isinstance(field, FieldList):
            name = f"{prefix}{label}"
            for number, entry in enumerate(field.entries, start=1):
                if isinstance(entry, FormField):
                    for sub in entry.form:
                        walk(sub, f"{name} {number} ")
                else:
                    text = entry.label.text if entry.label is not None else ""
                    if not text or text.replace(" ", "").replace("-", "").isascii():
                        text = f"第 {number} 題"
                    for e in entry.errors:
                        lines.append(ErrorLine(f"{name}{text}：{e}", entry.id))
            for e in field.errors:
                if isinstance(e, str):
                    lines.append(ErrorLine(f"{name}：{e}", _first_control_id(field)))
            return
        for e in field.errors:
            if isinstance(e, str):
                if label and f"「{label}」" in e:  # the message names the field already
                    lines.append(ErrorLine(f"{prefix.strip()}：{e}" if prefix else e, field.id))
                else:
                    lines.append(ErrorLine(f"{prefix}{label}：{e}", field.id))

    for field in form:
        if field.type == "CSRFTokenField":
            if field.errors:
                lines.append(ErrorLine("安全驗證：表單已逾時或不完整，請重新整理頁面後再送出（您輸入的內容仍在頁面上）。"))
            continue
        walk(field, "")
    for e in getattr(form, "form_errors", None) or []:
        lines.append(ErrorLine(str(e)))
    return lines


def joined(messages) -> str:
    """Messages as one sentence: each one's closing 「。」 dropped before 「；」, one at the end."""
    parts = [m.rstrip("。") for m in messages if m]
    return "；".join(parts) + "。" if parts else ""


class BaseForm(FlaskForm):
    """Every form of the app: WTForms' own messages in Traditional Chinese."""

    class Meta(_Meta):
        pass

    def error_summary(self) -> list[str]:
        return error_summary(self)

    def error_sentence(self) -> str:
        """The summary as one sentence for a banner: 「甲；乙。」, not 「甲。；乙。」."""
        return joined(self.error_summary())


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


class _MaxLength(Length):
    """Length with the count in the message: the text is refused and kept whole, never cut."""

    def __init__(self, label: str, n: int):
        super().__init__(max=n, message=f"「{label}」最多 {n} 個字。")
        self.label = label

    def __call__(self, form, field):
        length = len(field.data or "") if isinstance(field.data, str) else 0
        if length > self.max:
            raise ValidationError(f"「{self.label}」最多 {self.max} 個字，目前 {length} 個字，請刪減 {length - self.max} 個字。")
        super().__call__(form, field)


def max_length(label: str, n: int):
    return _MaxLength(label, n)


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

from .calendar import today as _taipei_today

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
            elif not self.allow_future and self.date > _taipei_today():
                self.process_errors.append("日期不可晚於今天。")

    def _value(self):
        return self.data or ""


# --- Amounts as people write them ------------------------------------------

from wtforms import IntegerField as _IntegerField

_AMOUNT = _re.compile(r"^(?:\d{1,3}(?:,\d{3})+|\d+)$")
_FULLWIDTH = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)}


def parse_amount(text: str | None, label: str = "金額") -> int | None:
    """``3000``, ``3,000``, full-width ``３，０００``, ``NT$3,000`` or ``3,000 元`` → 3000; empty → None."""
    value = (text or "").translate(_FULLWIDTH).replace("\u3000", " ").strip()
    for noise in ("NT$", "$", "新臺幣", "新台幣", "元", " "):
        value = value.replace(noise, "")
    if not value:
        return None
    if not _AMOUNT.match(value):
        raise ValueError(f"「{label}」請填整數金額（元），例如 3000 或 3,000。")
    return int(value.replace(",", ""))


class AmountField(_IntegerField):
    """An amount in NT dollars that takes thousands separators and full-width digits."""

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("render_kw", {"inputmode": "numeric", "placeholder": "例：3,000"})
        super().__init__(label, validators, **kwargs)

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        try:
            self.data = parse_amount(valuelist[0], self.label.text if self.label else "金額")
        except ValueError as exc:
            self.data = None
            raise ValueError(str(exc)) from None


def too_long(text: str | None, label: str, maximum: int) -> str | None:
    """The message for text over its maximum (refused with the text kept, never cut), else None."""
    length = len(text or "")
    return f"「{label}」最多 {maximum} 個字，目前 {length} 個字，請刪減 {length - maximum} 個字。" if length > maximum else None


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
    return _Markup(html_params(**_date_attrs(overrides)))
