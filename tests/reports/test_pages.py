"""The report pages over HTTP: a county administrator asks, previews, submits,
corrects; the ministry sees the submission and the national table."""
import re

from app.reports.forms import period_token
from app.reports.models import PeriodKind, ReportRun
from app.reports.periods import Period

Q3 = Period.of(PeriodKind.QUARTER, 2026, 3)


def test_county_admin_generates_previews_submits_and_the_ministry_sees_it(as_user, db, inline_jobs):
    admin = as_user("tpe.admin")
    refused = admin.post("/reports", {"rq-kind": "visits", "rq-period": "quarter:2026-07-01:2026-08-31"})
    assert refused.status_code == 422 and "請選擇報表與期間" in refused.text
    response = admin.post("/reports", {"rq-kind": "visits", "rq-period": period_token(Q3)})
    assert response.status_code == 303
    run_id = int(re.search(r"/reports/(\d+)", response.headers["Location"]).group(1))
    page = admin.get(f"/reports/{run_id}").text
    assert "已完成（未送出）" in page and "訪視評估（單位：戶）" in page and "開案率" in page
    assert admin.get(f"/reports/{run_id}/file.xlsx").headers["Content-Type"].startswith("application/vnd.openxml")
    csv = admin.get(f"/reports/{run_id}/file.csv").data.decode("utf-8-sig")
    assert "社福中心,合計,列入個案管理" in csv
    assert admin.post(f"/reports/{run_id}/submit", {"confirm": "1"}).status_code == 303
    assert "已送出" in admin.get(f"/reports/{run_id}").text
    again = admin.post("/reports", {"rq-kind": "visits", "rq-period": period_token(Q3)})
    assert again.status_code == 422 and "更正原因" in again.text

    assert as_user("hua.admin").get(f"/reports/{run_id}").status_code == 404
    assert as_user("hua.admin").get(f"/reports/{run_id}/file.pdf").status_code == 404
    ministry = as_user("moh.protect")
    overview = ministry.get(f"/reports/submissions?period={period_token(Q3)}").text
    row = re.search(r"臺北市</th>(.*?)</tr>", overview, re.S).group(1)
    assert "第 1 版" in row
    assert ministry.get(f"/reports/{run_id}/file.pdf").data.startswith(b"%PDF")
    national = ministry.get(f"/reports/national/visits.xlsx?period={period_token(Q3)}")
    assert national.status_code == 200 and national.data[:2] == b"PK"
    screen = ministry.get(f"/reports/national/visits?period={period_token(Q3)}").text
    assert "已送出 1 縣市" in screen and "臺北市" in screen and "開案率" in screen
    assert ministry.get("/reports").status_code == 403  # the ministry sees submissions, not the county's workbench


def test_a_draft_is_not_the_ministrys_to_open(as_user, db, inline_jobs):
    admin = as_user("tpe.admin")
    response = admin.post("/reports", {"rq-kind": "screening", "rq-period": period_token(Q3)})
    run_id = int(re.search(r"/reports/(\d+)", response.headers["Location"]).group(1))
    assert as_user("moh.protect").get(f"/reports/{run_id}/file.pdf").status_code == 404
    assert db.session.get(ReportRun, run_id) is None  # and the test's own session, acting for no county, sees nothing
