"""The sixth report, 春節關懷訪視服務成果: the campaign's visits counted by
source, indicator and visiting unit, children confirmed, findings and the
reports they raised, services with amounts; generated for the campaign's own
period, submitted, and added up nationally."""
import re
import shutil
import subprocess
from datetime import date, timedelta

import pytest

from app.campaigns import services as campaigns
from app.campaigns.models import VisitEntry, VisitMethod
from app.core import tenancy
from app.extensions import db
from app.reports import exports, queries, services
from app.reports.forms import parse_period, period_choices, period_token
from app.reports.models import PeriodKind, ReportKind, RunStatus
from app.reports.periods import Period
from tests.campaigns.helpers import visit_child


@pytest.fixture
def visited(listed, factories):
    """drug (一級C, in person): one attempt, then an in-person visit with a finding and 10,000 元 cash;
    young (二級A + 二級C): a phone call, 實物給付 and a referral."""
    t, entries = listed
    sw1 = factories.user("tpe.sw1")
    drug, young = entries[t["drug"].id], entries[t["young"].id]
    with tenancy.tenant_scope(t["taipei"].id):
        campaigns.record_visit(drug, sw1, sw1.memberships[0], visited_on=date(2027, 1, 28), method=VisitMethod.NOT_REACHED)
        campaigns.record_visit(drug, sw1, sw1.memberships[0], visited_on=date(2027, 1, 30), method=VisitMethod.IN_PERSON,
                               children=[{**visit_child(drug.case_id), "seen": True, "care_ok": True}],
                               services=[{"kind": "emergency_cash", "amount": 10000}], finding="身上有新舊瘀傷")
        campaigns.record_visit(young, sw1, sw1.memberships[0], visited_on=date(2027, 1, 29), method=VisitMethod.PHONE,
                               children=[{**visit_child(young.case_id), "care_ok": True}], services=[{"kind": "in_kind"}],
                               referrals="轉介托育資源中心", needs="年節食物")
    return t, Period.of_campaign(t["campaign"])


def test_the_results_count_what_the_visits_recorded(visited):
    t, period = visited
    assert period.label == "116年春節關懷期間" and period.span == "116年1月22日至116年2月21日"
    with tenancy.tenant_scope(t["taipei"].id):
        counts = queries.count(ReportKind.SPRING, t["taipei"].id, period)
    total = counts["totals"]
    assert {k: total[k] for k in ("listed", "in_person", "phone", "not_reached", "not_yet")} == {
        "listed": 2, "in_person": 1, "phone": 1, "not_reached": 0, "not_yet": 0}
    assert (total["attempts"], total["visits"], total["children_confirmed"]) == (1, 3, 2)
    assert (total["findings"], total["new_reports"], total["referrals"], total["needs"]) == (1, 1, 1, 1)
    assert (total["in_person_required"], total["in_person_required_done"]) == (1, 1)
    assert counts["services"]["emergency_cash"] == {"families": 1, "times": 1, "amount": 10000}
    assert counts["services"]["in_kind"] == {"families": 1, "times": 1, "amount": 0}
    assert counts["by_indicator"]["1C 案家成員有精神照護、自殺防治、毒危列管相關紀錄"]["in_person"] == 1
    assert counts["by_indicator"]["2A 案家有 6 歲以下之兒童"]["phone"] == 1
    assert counts["by_unit"]["臺北市中正社會福利服務中心"]["listed"] == 2
    assert counts["by_unit_kind"]["社福中心"]["listed"] == 2 and counts["by_source"]["rules"]["listed"] == 2
    d = queries.derive(ReportKind.SPRING, counts)
    assert [(name, value) for name, value, _ in d["rates"]] == [("完成率", 100.0), ("面訪率", 50.0), ("須面訪戶之面訪率", 100.0)]
    assert d["total"] == ("合計", 2, 1, 1, 0, 0, 100.0)
    assert exports.county_summary(ReportKind.SPRING, d) == [2, 1, 1, 0, 0, 2, "1/1", 10000, "100.00%"]
    from app.reports import ministry
    (_, header, rows), *_ = ministry.sheet(ReportKind.SPRING, [("臺北市", counts)]).publish()
    assert rows[0][1:4] == ["*", "*", "*"] and rows[1][1:4] == ["*", "*", "*"]  # 2 listed, 1 and 1: hidden for the ministry
    # another period (a quarter) has no campaign: the shape, all zeros
    with tenancy.tenant_scope(t["taipei"].id):
        assert queries.count(ReportKind.SPRING, t["taipei"].id, Period.of(PeriodKind.QUARTER, 2027, 1))["totals"]["listed"] == 0


def test_the_campaign_is_a_period_to_choose_and_only_it_suits_the_results(visited, factories, app, inline_jobs):
    t, period = visited
    token = period_token(period)
    assert any(value == token and label == "春節關懷期間｜116年春節關懷期間（進行中）"
               for value, label in period_choices(date(2027, 2, 1)))
    assert parse_period(token) == period
    with pytest.raises(ValueError, match="春節關懷期間"):
        parse_period("spring:2027-01-01:2027-02-28")
    admin = factories.user("tpe.admin")
    with app.test_request_context(), tenancy.tenant_scope(t["taipei"].id):
        with pytest.raises(services.ReportError, match="春節關懷期間"):
            services.request(ReportKind.SPRING, Period.of(PeriodKind.QUARTER, 2027, 1), admin, t["taipei"].id)
        run = services.request(ReportKind.SPRING, period, admin, t["taipei"].id)
        assert run.status == RunStatus.DONE and run.figures["totals"]["listed"] == 2
        services.submit(run, admin, running_acknowledged=True)  # the campaign is still running
        services.db.session.flush()
    total, by_county, missing = services.national(ReportKind.SPRING, period)
    assert [name for name, _ in by_county] == ["臺北市"] and "by_unit" not in total
    assert total["totals"]["new_reports"] == 1 and "臺北市" not in missing


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils not installed (make test installs it)")
def test_the_results_pdf_reads_as_the_ministry_expects(visited, app, tmp_path):
    t, period = visited
    with app.test_request_context(), tenancy.tenant_scope(t["taipei"].id):
        derived = queries.derive(ReportKind.SPRING, queries.count(ReportKind.SPRING, t["taipei"].id, period))
        pdf, pages = services.render_pdf(services.render_html(ReportKind.SPRING, derived, county_name="臺北市",
                                                              period=period, version=1))
    path = tmp_path / "spring.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert re.search(r"臺北市\s+春節關懷訪視服務成果", text) and "116年春節關懷期間（116年1月22日至116年2月21日）" in text
    for line in ("列冊家庭與訪視結果", "依關懷指標", "依訪視單位", "提供服務", "網絡單位查訪提供之家庭"):
        assert line in text
    assert "10,000" in text and "因此新增通報件數" in text and "完成率" in text
    for personal in ("林媽媽", "林小弟", "陳寶寶", "新舊瘀傷", t["drug"].case_no):
        assert personal not in text


def test_a_visit_recorded_after_the_campaign_ended_leaves_its_results_unchanged(visited, factories):
    """The results are as at the campaign's last day: a visit entered afterwards (even dated within it) is not
    counted when the report is made again."""
    t, period = visited
    sw1 = factories.user("tpe.sw1")
    with tenancy.tenant_scope(t["taipei"].id):
        before = queries.count(ReportKind.SPRING, t["taipei"].id, period)
        entry = campaigns.outcomes(t["campaign"], t["taipei"].id)
        young = next(e for e in entry if e.outcome == "phone")
        visit = campaigns.record_visit(db.session.get(VisitEntry, young.id), sw1, sw1.memberships[0],
                                       visited_on=date(2027, 1, 30), method=VisitMethod.NOT_REACHED)
        visit.recorded_at = period.as_of + timedelta(days=3)
        db.session.flush()
        assert queries.count(ReportKind.SPRING, t["taipei"].id, period) == before
