"""Every choice on every form is checked on the server (step 10, defect 1): across all the app's
forms, a placeholder, a value outside the choices and a value that is not even a number come back as
a Chinese message on that field, never an exception and never a silently accepted value."""
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict

from app.core.forms import CheckedRadioField, CheckedSelectField, CheckedSelectMultipleField, parse_amount
from tests.core.helpers import form_classes

CJK = re.compile(r"[\u3400-\u9fff]")
CHECKED = (CheckedSelectField, CheckedRadioField, CheckedSelectMultipleField)


def _instances(app):
    for cls in form_classes():
        try:
            yield cls, cls(formdata=None, meta={"csrf": False})
        except TypeError:
            continue


def test_every_choice_field_of_every_form_is_a_checked_one(app):
    with app.test_request_context():
        fields = [(cls.__qualname__, f.name, type(f).__name__) for cls, form in _instances(app) for f in form
                  if f.type in ("SelectField", "RadioField", "SelectMultipleField")]
    assert len(fields) > 60
    assert all(kind.startswith("Checked") for _, _, kind in fields), [f for f in fields if not f[2].startswith("Checked")]


@pytest.mark.parametrize("bad", ["999999", "abc", "99999999999999999999", "\u0000"])
def test_values_outside_the_choices_are_refused_in_chinese_on_every_form(app, bad):
    with app.test_request_context(method="POST"):
        checked = 0
        for cls, blank in _instances(app):
            for field in blank:
                if not isinstance(field, CHECKED) or not field.choices:
                    continue
                form = cls(formdata=MultiDict({field.name: bad}), meta={"csrf": False})
                form[field.short_name].choices = field.choices
                form[field.short_name].validate(form)
                errors = [e for e in form[field.short_name].errors if isinstance(e, str)]
                accepted = any(str(c[0]) == bad for c in (field.choices if isinstance(field.choices, list) else []))
                if accepted:
                    continue
                assert errors, (cls.__qualname__, field.name)
                assert all(CJK.search(e) for e in errors), (cls.__qualname__, field.name, errors)
                checked += 1
        assert checked > 30


def test_a_required_choice_left_on_its_placeholder_is_not_chosen(app):
    with app.test_request_context(method="POST"):
        checked = 0
        for cls, blank in _instances(app):
            for field in blank:
                if not isinstance(field, (CheckedSelectField, CheckedRadioField)) or not field.flags.required:
                    continue
                for placeholder in ("0", ""):
                    form = cls(formdata=MultiDict({field.name: placeholder}), meta={"csrf": False})
                    form[field.short_name].choices = field.choices or [(0, "請選擇")]
                    form[field.short_name].validate(form)
                    if placeholder == "0" and field.coerce is str:
                        continue  # "0" is a value of a text choice, not a placeholder
                    errors = form[field.short_name].errors
                    assert any("請選擇" in e for e in errors), (cls.__qualname__, field.name, placeholder)
                    checked += 1
        assert checked > 20


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0, max_value=10**12), st.booleans(), st.booleans())
def test_amounts_read_as_people_write_them(n, separators, full_width):
    text = f"{n:,}" if separators else str(n)
    if full_width:
        text = text.translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789,"})
    assert parse_amount(text) == n


@pytest.mark.parametrize("text", ["3,00", "3.5", "1,0000", "abc", "-3", ",300"])
def test_amounts_that_are_not_amounts_are_refused(text):
    with pytest.raises(ValueError, match="例如 3000 或 3,000"):
        parse_amount(text)
