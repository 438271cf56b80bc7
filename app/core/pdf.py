"""PDF rendering shared by every area: WeasyPrint with fetching locked down.

Only ``data:`` URLs are fetched: no local files, no network, so text a user
typed (an ``<img src>`` to an outside address, a ``file://`` path) can never make
the renderer read or reach anything. Fonts come from fontconfig (Noto Sans CJK
TC, installed by the set-up) and are embedded in the PDF."""
from __future__ import annotations

try:
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher as _URLFetcher
except ImportError:  # pragma: no cover - WeasyPrint is a hard dependency; this keeps imports cheap to fail
    HTML = None
    _URLFetcher = object


class LockedFetcher(_URLFetcher):
    """Only ``data:`` URLs."""

    def __init__(self):
        super().__init__(allowed_protocols={"data"})


def render_pdf(html: str) -> tuple[bytes, int]:
    """The PDF of an HTML string, and its page count."""
    document = HTML(string=html, url_fetcher=LockedFetcher()).render()
    return document.write_pdf(), len(document.pages)
