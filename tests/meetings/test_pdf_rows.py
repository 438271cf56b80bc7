"""PDF rows do not split across pages: a 案號 is never left alone at the foot of a page while its row
goes on over the page (seed 004's tracking table, plus long rows); the header repeats on every page.
Checked page by page with pdftotext; the pages are kept in test-artifacts/ to look at."""
import re
import shutil
from datetime import date

import pytest

from app.meetings import demo, documents, services
from app.meetings.models import DocumentKind
from app.tenants.models import Unit
from tests.support import keep, pages_text

pytestmark = pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils not installed (make test installs it)")
FILLER = "請各單位持續盤點轄內資源並落實跨網絡合作，按月回報辦理進度，逐案檢討服務成效與執行困難。"


@pytest.fixture
def long_rows(db):
    """Seed 004's 34th meeting with fourteen more items of growing length, one of them taller than a page."""
    series = demo.import_progress_34()
    meeting = next(m for m in series.meetings if m.number == 34)
    unit = next(u for u in services.eligible_units(series) if isinstance(u, Unit))
    items = []
    for n in range(1, 15):
        size = 30 if n == 9 else 1 + (n * 4) % 9  # item 9: some 1,400 characters, taller than a page
        body = f"〔第{n}項起〕" + FILLER * size + f"〔第{n}項止〕"
        items.append(services.add_item(meeting, section=6, title=f"長列測試事項第{n}項", instruction=body,
                                       lead_unit_ids=[unit.id], number=f"1080605-6-{n}"))
    return meeting, items


def test_no_tracking_table_row_splits_and_no_number_is_left_alone(app, long_rows, tmp_path):
    meeting, items = long_rows
    with app.test_request_context():
        data, pages = documents.pdf_bytes(documents.html_for(meeting, DocumentKind.TRACKING, today=date(2026, 11, 22)))
    path = tmp_path / "tracking-long.pdf"
    path.write_bytes(data)
    keep(path, "tracking-long-rows.pdf")
    text = pages_text(path)
    assert len(text) == pages > 3
    assert all("前次辦理情形" in page for page in text)  # the header row on every page
    for n, item in enumerate(items, start=1):
        number = item.numbers[0].number
        where = [i for i, page in enumerate(text) if number in page]
        assert where, f"{number} missing"
        first = where[0]
        # the page that shows the 案號 shows the row's content too: its title and the start of its text
        assert f"長列測試事項第{n}項" in text[first] and f"〔第{n}項起〕" in text[first], \
            f"{number} is alone at the foot of page {first + 1}"
        if n != 9:  # a row shorter than a page is not split at all: it ends on the page it starts on
            assert f"〔第{n}項止〕" in text[first], f"row {number} splits after page {first + 1}"
        else:  # taller than a page: it starts a page, and each page it goes on to names its key cells at the top
            last = next(i for i, page in enumerate(text) if f"〔第{n}項止〕" in page)
            assert last > first and "（接續上頁）" not in text[first]
            for page in text[first + 1:last + 1]:  # 「（接續上頁）編號 21　案號 1080605-6-9」 at the head of the page
                assert "（接續上頁）編號" in page and number in page, "the key cells are not repeated on a continuation page"
    continued = [i for i, page in enumerate(text) if "（接續上頁）" in page]
    assert continued and all("1080605-6-9" in text[i] for i in continued)  # only the tall row's pages
    # the seed's own rows: each 案號's page carries that row's text as well
    for item in services.open_items(meeting):
        for number in item.case_numbers.split("、") if hasattr(item, "case_numbers") else []:
            where = [i for i, page in enumerate(text) if number in page]
            if where:
                head = re.sub(r"\s+", "", item.title)[:8]
                assert head in text[where[0]], f"{number} is alone at the foot of page {where[0] + 1}"


def test_minutes_number_every_section_after_the_discussions(app, long_rows, tmp_path):
    meeting, _ = long_rows
    meeting.motions = "社家署提案：春節關懷訪視加強聯繫。\n決議：照案通過。"
    with app.test_request_context():
        data, _ = documents.pdf_bytes(documents.html_for(meeting, DocumentKind.MINUTES, today=date(2026, 11, 22)))
    path = tmp_path / "minutes.pdf"
    path.write_bytes(data)
    keep(path, "minutes-numbered.pdf")
    flat = "".join(pages_text(path))
    order = ["壹、主持人致詞", "貳、前次會議紀錄確認", "參、歷次會議列管事項辦理情形", "肆、報告案", "伍、討論案",
             "陸、主席裁示事項", "柒、臨時動議", "社家署提案：春節關懷訪視加強聯繫。", "捌、散會"]
    at = 0
    for heading in order:
        found = flat.find(heading, at)
        assert found >= 0, f"{heading} missing after position {at}"
        at = found + len(heading)
    assert "主席裁示事項" not in flat.replace("陸、主席裁示事項", "")  # never unnumbered
