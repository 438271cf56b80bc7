"""The nightly snapshot: the job, the board reading it (資料時點), the fallback, the county's refresh."""
from datetime import date, timedelta

import sqlalchemy as sa

from app.audit.models import AuditEvent
from app.core import tenancy
from app.core.models import utcnow
from app.reports.models import PeriodKind
from app.reports.periods import Period
from app.targets import board, snapshot
from app.targets.models import TargetSnapshot


def _text(response):
    return response.get_data(as_text=True)


def _rows(db, county_id):
    with tenancy.tenant_scope(county_id):
        return {(r.measure_code, r.period_start, r.period_end): (r.numerator, r.denominator, r.computed_at)
                for r in db.session.scalars(sa.select(TargetSnapshot).where(TargetSnapshot.tenant_id == county_id))}


def test_snapshot_periods_are_the_years_halves_and_quarters_begun():
    periods = snapshot.snapshot_periods(date(2027, 5, 10))
    labels = [p.label for p in periods]
    assert "115年" in labels and "115年1–6月" in labels and "115年第4季" in labels
    assert "116年" in labels and "116年1–6月" in labels and "116年第2季" in labels
    assert "116年7–12月" not in labels and "116年第3季" not in labels
    assert "114年" not in " ".join(labels)  # nothing before the programme
    assert [p.label for p in snapshot.snapshot_periods(date(2026, 2, 1))] == ["115年", "115年1–6月", "115年第1季"]


def test_job_computes_every_countys_counts(world, db):
    year = Period.of(PeriodKind.YEAR, 2026)
    count = snapshot.run_snapshot([world["taipei"], world["hualien"]])
    assert count > 0
    rows = _rows(db, world["taipei"])
    # 臺北市: 2 of 3 child-protection families served by the end of 115 (as the live board counts)
    assert rows[("child_protection_coverage", year.start, year.end)][:2] == (2, 3)
    assert ("opening_rate", date(2026, 1, 1), date(2026, 6, 30)) in rows
    assert _rows(db, world["hualien"])[("child_protection_coverage", year.start, year.end)][:2] == (1, 1)


def test_finished_periods_are_kept_the_running_one_replaced(world, db):
    snapshot.run_snapshot([world["taipei"]])
    first = _rows(db, world["taipei"])
    snapshot.run_snapshot([world["taipei"]])
    second = _rows(db, world["taipei"])
    h1 = ("opening_rate", date(2026, 1, 1), date(2026, 6, 30))
    assert second[h1][2] == first[h1][2]  # 115年1–6月 is over: computed after its end, kept
    year = ("opening_rate", date(2026, 1, 1), date(2026, 12, 31))
    assert second[year][2] >= first[year][2]  # the running year: recomputed
    snapshot.run_snapshot([world["taipei"]], force=True)
    assert _rows(db, world["taipei"])[h1][2] >= first[h1][2]


def test_board_reads_the_snapshot_and_shows_its_as_of(world, db, as_user):
    taipei = world["taipei"]
    snapshot.run_snapshot([c.id for c in board.counties()])  # every county (the national line sums them)
    with tenancy.tenant_scope(taipei):  # the snapshot says something the records do not: the board shows it
        row = db.session.scalar(sa.select(TargetSnapshot).where(
            TargetSnapshot.tenant_id == taipei, TargetSnapshot.measure_code == "child_protection_coverage",
            TargetSnapshot.period_end == date(2026, 12, 31), TargetSnapshot.period_kind == "year"))
        row.numerator, row.denominator = 7, 10
        # yesterday 18:00 UTC = 02:00 Taipei, earlier than the other cells' moment at any hour of the run
        row.computed_at = (utcnow() - timedelta(days=1)).replace(hour=18, minute=0, second=0, microsecond=0)
        db.session.flush()
    body = _text(as_user("tpe.admin").get("/targets"))
    assert "70.00%" in body
    assert "資料時點：民國115年" in body and "02:00" in body and "每夜計算之快照" in body
    assert "即時計算" not in body
    # national: the sum of the counties' snapshot counts (7 + 1 of 10 + 1)
    ministry = _text(as_user("moh.protect").get("/targets"))
    assert "72.73%" in ministry and "每夜計算之快照" in ministry


def test_board_without_snapshot_counts_now_and_says_so(world, as_user):
    body = _text(as_user("tpe.admin").get("/targets"))
    assert "66.67%" in body and "尚無快照，開啟頁面時即時計算" in body


def test_county_admin_refreshes_own_county_only(world, db, as_user, inline_jobs):
    admin = as_user("tpe.admin")
    page = _text(admin.get("/targets"))
    assert "重新計算本縣市" in page
    response = admin.post("/targets/refresh", follow_redirects=True)
    assert response.status_code == 200
    body = _text(response)
    assert "已排入計算" in body and "每夜計算之快照" in body
    assert _rows(db, world["taipei"]) and not _rows(db, world["hualien"])
    with tenancy.tenant_scope(world["taipei"]):
        assert db.session.scalar(sa.select(AuditEvent).where(AuditEvent.record_type == "target_snapshot")) is not None
    for user in ("tpe.sw1", "moh.protect"):
        client = as_user(user)
        assert "重新計算本縣市" not in _text(client.get("/targets"))
        assert client.post("/targets/refresh").status_code == 403


def test_period_picker_half_year_quarter_month(world, as_user):
    admin = as_user("tpe.admin")
    body = _text(admin.get("/targets?year=115&part=h1"))
    assert "期間：115年1–6月" in body and "115年7–12月" in body and 'class="table-active chosen-period"' in body
    # 臺北市 by 115-06-30: cp1 and cp2 served of three (cp3 received 6/1)
    assert f"/targets/{world['taipei']}/child_protection_coverage/115?part=h1" in body
    gap = admin.get(f"/targets/{world['taipei']}/child_protection_coverage/115?part=h1")
    assert gap.status_code == 200 and "115年1–6月" in _text(gap) and "cp3家" in _text(gap)
    assert "115年第2季" in _text(admin.get("/targets?year=115&part=q2"))
    assert "期間：115年3月" in _text(admin.get("/targets?year=115&part=m3"))
    ministry = _text(as_user("moh.protect").get("/targets?year=115&part=q1"))
    assert "115年第1季　各縣市與全國" in ministry


def test_period_picker_explains_a_western_or_early_year_and_keeps_it(world, as_user):
    admin = as_user("tpe.admin")
    response = admin.get("/targets?year=2026&part=h1")
    body = _text(response)
    assert response.status_code == 422
    assert "西元 2026 年即民國 115 年" in body and 'value="2026"' in body
    assert "115 年以後" in _text(admin.get("/targets?year=108&part=year"))
    assert "尚未開始" in _text(admin.get("/targets?year=119&part=h2"))
    assert admin.get(f"/targets/{world['taipei']}/opening_rate/115?part=x9").status_code == 404
