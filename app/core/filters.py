"""ROC (民國) dates and Taipei time for templates and PDFs."""
from __future__ import annotations

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

TAIPEI = ZoneInfo("Asia/Taipei")
ROC_OFFSET = 1911


def to_taipei(value: datetime) -> datetime:
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(TAIPEI)


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


def css_string(value):
    """Text for inside a CSS string (``content: "…"`` of a PDF's page header): every character that could end
    the string, the rule or the ``<style>`` element is a CSS escape, so user text shows as typed and stays text."""
    from markupsafe import Markup

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
    app.add_template_filter(roc_date, "roc_date")
    app.add_template_filter(roc_datetime, "roc_datetime")
    app.add_template_filter(taipei_time, "taipei_time")
    from .jobs import any_busy

    app.add_template_filter(any_busy, "any_busy")
