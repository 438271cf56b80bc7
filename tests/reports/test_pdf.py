"""Each report as PDF: the county, the period, 製表日期 in ROC form, page
numbers, the definitions of its rates, Chinese glyphs embedded, charts as
vectors (no raster images), and no personal data."""
import re
import shutil
import subprocess

import pytest

from app.core import tenancy
from app.core.pdf import render_pdf
from app.reports import queries, services
from app.reports.models import PeriodKind, ReportKind
from app.reports.periods import Period
from tests.support import keep, pages_text

pytestmark = pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils not installed (make test installs it)")
Q3 = Period.of(PeriodKind.QUARTER, 2026, 3)


@pytest.mark.parametrize("kind", list(ReportKind))
def test_each_report_prints_what_officials_need_and_nothing_personal(kind, app, world, tmp_path):
    with app.test_request_context(), tenancy.tenant_scope(world["taipei"].id):
        derived = queries.derive(kind, queries.count(kind, world["taipei"].id, Q3))
        pdf, pages = render_pdf(services.render_html(kind, derived, county_name="臺北市", period=Q3, version=1))
    path = tmp_path / f"{kind.value}.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert re.search(rf"臺北市\s+{kind.label}", text) and "115年第3季（115年7月1日至115年9月30日）" in text
    assert re.search(r"製表日期：民國\d+年\d+月\d+日", text) and f"第 1 頁，共 {pages} 頁" in text
    assert "定義" in text and "不含任何個人資料" in text
    for name in ("甲", "庚", "中正區", "就業服務站"):  # people in the fixture's reports, and where one was sent
        assert name not in text.replace("臺北市中正社會福利服務中心", "")
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    assert re.search(r"CJK.*\byes\b", fonts)
    images = subprocess.run(["pdfimages", "-list", str(path)], capture_output=True, text=True, check=True).stdout
    assert len(images.strip().splitlines()) == 2  # header lines only: the chart is vector graphics, not a picture


def test_a_visits_table_row_never_splits_across_pages(app, world, tmp_path):
    """訪視評估: many centres with names long enough to wrap; each row (its name and its 開案率) stays on
    one page and the header repeats on every page. The pages are kept in test-artifacts/ to look at."""
    with app.test_request_context(), tenancy.tenant_scope(world["taipei"].id):
        derived = queries.derive(ReportKind.VISITS, queries.count(ReportKind.VISITS, world["taipei"].id, Q3))
        base = derived["rows"][0]
        derived["rows"] = [{**base, "name": f"第{n}號臺北市中正社會福利服務中心（含{n}處延伸服務據點、外展服務站、社區關懷據點、家庭支持服務方案與兒少福利服務據點）",
                            "open_rate": n / 1000} for n in range(1, 61)]
        pdf, pages = render_pdf(services.render_html(ReportKind.VISITS, derived, county_name="臺北市", period=Q3, version=1))
    path = tmp_path / "visits-long.pdf"
    path.write_bytes(pdf)
    keep(path, "visits-long-rows.pdf")
    text = pages_text(path)
    assert len(text) == pages > 2
    assert all("社福中心" in page for page in text if "號臺北市" in page)  # the header (the rows say 社會福利服務中心)
    for n in range(1, 61):
        name = f"第{n}號臺北市中正社會福利服務中心（含{n}處延伸服務據點、外展服務站、社區關懷據點、家庭支持服務方案與兒少福利服務據點）"
        assert any(name in page for page in text), f"row {n} is split across a page break"
