"""Template conventions that keep htmx fragments working."""
import re
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


def test_macro_imports_sit_inside_blocks():
    """jinja2-fragments renders one block on its own: an import at the top of
    the file would be missing from the fragment."""
    offenders = []
    for path in TEMPLATES.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        if "{% extends" not in text:
            continue
        depth = 0
        for token in re.findall(r"\{%-?\s*(block|endblock|from|import)\b", text):
            if token == "block":
                depth += 1
            elif token == "endblock":
                depth -= 1
            elif depth == 0:
                offenders.append(str(path.relative_to(TEMPLATES)))
    assert not offenders, f"move these imports inside the block that uses them: {offenders}"


def test_no_cdn_and_no_inline_script():
    for path in TEMPLATES.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        assert "://" not in re.sub(r"<!--.*?-->", "", text, flags=re.S), path
        assert not re.search(r"<script(?![^>]*\bsrc=)", text), path
        assert not re.search(r"\son[a-z]+\s*=", text), path
