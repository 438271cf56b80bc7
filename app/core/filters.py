"""ROC (民國) dates and Taipei time for templates and PDFs."""
from __future__ import annotations

from datetime import date, datetime

from .calendar import TAIPEI, to_taipei  # noqa: F401  (the Taipei calendar lives in core.calendar)

from markupsafe import Markup

from .forms import DATE_HINT, roc_date_attrs
from .jobs import any_busy

ROC_OFFSET = 1911


def _as_date(value) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return to_taipei(value).date()
    return value


def roc_date(value, style: str = "long") -> str:
    """``民國115年11月22日`` (long) or ``115/11/22`` (short)."""
    d = _as_date(value)
    if d is None:
        return ""
    year = d.year - ROC_OFFSET
    if style == "short":
        return f"{year:d}/{d.month:02d}/{d.day:02d}"
    if style == "compact":  # as in 案號: 1070124
        return f"{year:03d}{d.month:02d}{d.day:02d}"
    return f"民國{year}年{d.month}月{d.day}日"


def roc_datetime(value, style: str = "short") -> str:
    """Taipei time with an ROC date: ``115/11/22 14:05``."""
    if value is None:
        return ""
    local = to_taipei(value)
    return f"{roc_date(local.date(), style)} {local:%H:%M}"


def taipei_time(value, fmt: str = "%H:%M") -> str:
    return "" if value is None else to_taipei(value).strftime(fmt)


_ISO_MOMENT = __import__("re").compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::\d{2}(?:\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$")


def audit_value(value) -> str:
    """A value of an audit record's changes as a person reads it: dates and moments in ROC (Taipei time),
    yes/no in Chinese, nothing as （空）. The stored record keeps its machine form (ISO)."""
    if value is None or value == "":
        return "（空）"
    if value is True:
        return "是"
    if value is False:
        return "否"
    if isinstance(value, str):
        match = _ISO_MOMENT.match(value)
        if match:
            try:
                if match.group(4) is None:
                    return roc_date(date.fromisoformat(value), "short")
                moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
                return roc_datetime(moment)
            except ValueError:
                return value
    return str(value)


def css_string(value):
    """Text for inside a CSS string (``content: "…"`` of a PDF's page header): every character that could end
    the string, the rule or the ``<style>`` element is a CSS escape, so user text shows as typed and stays text."""
    return Markup("".join(c if c.isalnum() or c in " 　-_.,:：;()（）/" else f"\\{ord(c):x} " for c in str(value or "")))


def mask_name(value) -> str:
    """A name on a list: first and last character kept, the middle ○ (王小明 → 王○明, 王明 → 王○);
    a family name already masked (王○○家) is left as it is."""
    text = (value or "").strip()
    if not text or "○" in text:
        return text
    if len(text) == 1:
        return text
    if len(text) == 2:
        return text[0] + "○"
    return text[0] + "○" * (len(text) - 2) + text[-1]


def install(app) -> None:
    app.add_template_filter(mask_name, "mask_name")
    app.add_template_filter(css_string, "css_string")
    app.add_template_filter(audit_value, "audit_value")
    app.add_template_filter(roc_date, "roc_date")
    app.add_template_filter(roc_datetime, "roc_datetime")
    app.add_template_filter(taipei_time, "taipei_time")
    app.add_template_global(roc_date_attrs, "roc_date_attrs")
    app.add_template_global(DATE_HINT, "ROC_DATE_HINT")

    app.add_template_filter(any_busy, "any_busy")
