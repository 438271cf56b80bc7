"""Defect 6 of step 10 (error summaries): every summary line starts with the field's Chinese
label, never its code name (「Persons：」「Tipvda：」)."""
import re

from wtforms.fields import HiddenField
from wtforms.fields.core import UnboundField

from app.core.forms import error_summary
from tests.core.helpers import form_classes

CJK = re.compile(r"[\u3400-\u9fff]")


def _label(unbound):
    if "label" in unbound.kwargs:
        return unbound.kwargs["label"]
    return unbound.args[0] if unbound.args else None


def test_every_field_of_every_form_has_a_chinese_label():
    missing = []
    classes = form_classes()
    assert len(classes) > 40
    for cls in classes:
        for name in dir(cls):
            unbound = getattr(cls, name, None)
            if not isinstance(unbound, UnboundField) or issubclass(unbound.field_class, HiddenField):
                continue
            label = _label(unbound)
            if name == "website":  # the honeypot people never see
                continue
            if not label or not CJK.search(str(label)):
                missing.append(f"{cls.__module__}.{cls.__qualname__}.{name}")
    assert not missing, missing


def test_summary_names_list_entries_by_their_chinese_labels(app):
    from app.intake.forms import IntakeReportForm, PublicReportForm

    with app.test_request_context(method="POST", data={"persons-0-id_number": "A123456788", "tipvda-0": "7"}):
        form = PublicReportForm(meta={"csrf": False})
        form.county_id.choices = [(0, "請選擇縣市")]
        form.district_id.choices = [(0, "請先選擇縣市")]
        form.validate()
        lines = error_summary(form)
        assert any(line.startswith("相關人員 1 身分證／居留證號：") for line in lines), lines
        assert any(line == "請選擇「案家所在縣市」。" for line in lines), lines
        form = IntakeReportForm(meta={"csrf": False})
        form.district_id.choices = [(0, "請選擇")]
        form.validate()
        lines = error_summary(form)
        assert any(line.startswith("TIPVDA 親密關係暴力危險評估") for line in lines), lines
    for line in lines:
        head = line.split("：", 1)[0]
        assert CJK.search(head), line
        assert not re.match(r"^[A-Za-z_ -]+$", head), line


def test_each_summary_line_links_to_a_control_that_is_on_the_page(app, client):
    """Step 15: the summary's entries are links to their fields; every anchor is an element of the
    refused page (a field, or a group's fieldset), so the link goes somewhere."""
    client.get("/report")
    answer = client.post("/report", data={"persons-0-id_number": "A123456788", "narrative": ""})
    assert answer.status_code == 422
    html = answer.get_data(as_text=True)
    anchors = re.findall(r'<a href="#([^"]+)" class="alert-link">', html)
    assert {"county_id", "district_id", "concerns", "persons-0-id_number"} <= set(anchors), anchors
    for anchor in anchors:
        assert f'id="{anchor}"' in html, anchor
    assert 'aria-describedby="concerns-error"' in html and 'id="concerns-error"' in html
