"""Case documents in a real browser (issue 21): a 社福中心 worker uploads a text file renamed .jpg (refused
beside the field, the description kept), a real PDF with a double click (stored once), and an oversize file
(refused by the browser before sending, with the same message the server gives)."""

import pytest

from app.cases.demo import demo_pdf
from tests.browser.helpers import a_case_of_tpe_sw1, shot

pytestmark = pytest.mark.browser


def test_a_worker_uploads_a_letter_and_is_told_why_a_renamed_text_and_an_oversize_file_are_refused(page, tmp_path):
    renamed = tmp_path / "筆記.jpg"
    renamed.write_text("這是一份純文字筆記，不是照片。\n" * 50)
    letter = tmp_path / "學校函文.pdf"
    letter.write_bytes(demo_pdf(["臺北市立○○國小 函", "主旨：學童出缺席情形"]))
    big = tmp_path / "大檔案.pdf"
    big.write_bytes(b"%PDF-1.7\n" + b"0" * (10 * 1024 * 1024 + 10))

    a_case_of_tpe_sw1(page)  # reported, dispatched, assigned; its record open as tpe.sw1
    form = page.locator("#upload-document")
    form.wait_for()

    form.get_by_label("檔案（PDF、JPEG 或 PNG）").set_input_files(str(renamed))
    form.get_by_label("文件類別").select_option(label="照片")
    form.get_by_label("說明").fill("家訪照片")
    form.get_by_role("button", name="上傳").click()
    page.locator("#doc-file-error", has_text="只接受 PDF、JPEG 或 PNG").wait_for()
    assert page.locator("#doc-description").input_value() == "家訪照片"
    shot(page, "documents-01-renamed-text-refused")

    form = page.locator("#upload-document")
    form.get_by_label("檔案（PDF、JPEG 或 PNG）").set_input_files(str(letter))
    form.get_by_label("文件類別").select_option(label="學校函文")
    form.get_by_label("說明").fill("○○國小函：學童出缺席情形")
    form.get_by_role("button", name="上傳").dblclick()
    page.locator("#flash", has_text="已上傳文件「學校函文.pdf」").wait_for()
    assert page.locator("#document-list tbody tr", has_text="學校函文.pdf").count() == 1
    shot(page, "documents-02-letter-uploaded-once")

    form = page.locator("#upload-document")
    form.get_by_label("檔案（PDF、JPEG 或 PNG）").set_input_files(str(big))
    page.locator("#doc-file-client-error", has_text="檔案超過上限 10 MB").wait_for()
    form.get_by_label("文件類別").select_option(label="法院裁定")
    form.get_by_role("button", name="上傳").click()  # the browser keeps it: nothing is sent
    assert page.locator("#document-list tbody tr").count() == 1
    shot(page, "documents-03-oversize-refused-in-the-browser")
