"""The Content-Security-Policy (style-src 'self') blocks inline style attributes: a template that relies on
one renders unstyled in the browser (a walk found two). Styles live in static/css/app.css."""
import re
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


def test_no_template_has_an_inline_style_attribute():
    offenders = [f"{path.relative_to(TEMPLATES)}:{n}" for path in TEMPLATES.rglob("*.html")
                 if "pdf" not in path.parts  # WeasyPrint's templates are not served to browsers
                 for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
                 if re.search(r"\sstyle=\"", line)]
    assert offenders == []
