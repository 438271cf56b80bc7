"""``flask seed-scale`` at a tiny size, into fresh databases of its own: proportions, every
state, one lead per case, ages and IDs, determinism, the app's pages on the generated data,
and numbers the app issues afterwards. SQLite by default; on PostgreSQL runs (DATABASE_URL
set) each database is a new one beside the suite's, loaded with COPY."""
from __future__ import annotations

import hashlib
import os
from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from app.core import idnumbers
from app.core.dates import age_on
from app.core.filters import TAIPEI
from app.extensions import db
from tests.support import POSTGRES, log_in, build_app, prepare_database

TODAY = datetime.now(TAIPEI).date()
SIZES = ["--reports", "2000", "--cases", "500", "--contacts", "5000", "--referrals", "200", "--meetings", "5",
         "--items", "50", "--staff", "300"]


_CREATED: list[str] = []  # PostgreSQL databases this module made, dropped when it is done


@pytest.fixture(scope="module", autouse=True)
def _drop_created_databases():
    yield
    if POSTGRES and _CREATED:
        owner = make_url(os.environ["MIGRATIONS_DATABASE_URL"])
        admin = sa.create_engine(owner.set(database="postgres"), isolation_level="AUTOCOMMIT",
                                 poolclass=sa.pool.NullPool)
        with admin.connect() as conn:
            for name in _CREATED:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()
        _CREATED.clear()


def _fresh_app(tmp_path_factory, tag: str):
    if POSTGRES:
        owner = make_url(os.environ["MIGRATIONS_DATABASE_URL"])
        runtime = make_url(os.environ["DATABASE_URL"])
        name = f"{owner.database}_scale_{tag}"
        admin = sa.create_engine(owner.set(database="postgres"), isolation_level="AUTOCOMMIT",
                                 poolclass=sa.pool.NullPool)
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        admin.dispose()
        _CREATED.append(name)
        application = build_app(runtime.set(database=name).render_as_string(hide_password=False),
                                MIGRATIONS_DATABASE_URL=owner.set(database=name).render_as_string(hide_password=False))
    else:
        path = tmp_path_factory.mktemp(f"scale_{tag}") / "scale.sqlite3"
        application = build_app(f"sqlite:///{path}", MIGRATIONS_DATABASE_URL=f"sqlite:///{path}")
    prepare_database(application)
    return application


def _generate(application, seed: int, *extra: str):
    result = application.test_cli_runner().invoke(
        args=["seed-scale", "--seed", str(seed), "--today", TODAY.isoformat(), *SIZES, *extra])
    return result


def _owner_engine(application):
    return sa.create_engine(application.config["MIGRATIONS_DATABASE_URL"], poolclass=sa.pool.NullPool)


def _all(application, sql: str, **params):
    engine = _owner_engine(application)
    try:
        with engine.connect() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(sa.text("SELECT set_config('app.all_tenants', 'on', false)"))
            return conn.execute(sa.text(sql), params).all()
    finally:
        engine.dispose()


CHECKSUMS = {
    "reports": "id, report_no, channel, status, received_at, case_id, lead_unit_id, narrative",
    "family_cases": "id, case_no, status, received_at, family_name, assigned_worker_id",
    "case_members": "id, case_id, name, sex, birth_date, id_number, phone",
    "referrals": "id, referral_no, kind, status, to_unit_id, sent_by_id",
    "case_contacts": "id, case_id, contacted_at, method, note",
    "action_item_numbers": "id, item_id, number",
}


def _checksum(application, table: str) -> str:
    rows = _all(application, f"SELECT {CHECKSUMS[table]} FROM {table} ORDER BY id")
    return hashlib.sha256(repr(rows).encode()).hexdigest()


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    application = _fresh_app(tmp_path_factory, "a")
    result = _generate(application, 7)
    assert result.exit_code == 0, result.output
    application.generation_output = result.output
    return application


def test_progress_and_summary_are_printed(generated):
    out = generated.generation_output
    assert "[reports] 臺北市" in out and "臺北市 完成" in out and "列/秒" in out
    assert "各階段時間" in out and "total" in out


def test_report_proportions_follow_seed_001(generated):
    counts = dict(_all(generated, "SELECT status, count(*) FROM reports GROUP BY status"))
    assert set(counts) == {"received", "screening", "dispatched", "referred", "screened_out", "transferred"}
    total = sum(counts.values())
    assert total == 2000
    assert abs(counts["screened_out"] / total * 100 - 22.6) <= 3
    by_kind = dict(_all(generated, "SELECT u.kind, count(*) FROM reports r JOIN units u ON u.id = r.lead_unit_id "
                                   "WHERE r.status = 'dispatched' GROUP BY u.kind"))
    valid = counts["dispatched"] + counts["referred"] + counts["transferred"]
    assert abs(by_kind["dv_centre"] / valid * 100 - 71) <= 3
    assert abs(by_kind["welfare_centre"] / valid * 100 - 15) <= 3
    assert abs((counts["referred"] + counts["transferred"]) / valid * 100 - 14) <= 3
    # the screening queue: a small, realistic set per county, some overdue
    open_per_county = dict(_all(generated, "SELECT tenant_id, count(*) FROM reports "
                                           "WHERE status IN ('received', 'screening') GROUP BY tenant_id"))
    assert 0 < max(open_per_county.values()) < 20
    channels = {c for (c,) in _all(generated, "SELECT DISTINCT channel FROM reports")}
    assert {"35", "36", "7", "24", "15", "16"} <= channels


def test_every_state_is_present(generated):
    cases = {s for (s,) in _all(generated, "SELECT DISTINCT status FROM family_cases")}
    assert cases == {"awaiting_assignment", "assessing", "opening_review", "open", "closing_review", "closed",
                     "not_opened"}
    referrals = {s for (s,) in _all(generated, "SELECT DISTINCT status FROM referrals")}
    assert referrals == {"waiting", "in_service", "declined", "returned", "forwarded", "completed", "failed",
                         "withdrawn"}
    kinds = {k for (k,) in _all(generated, "SELECT DISTINCT kind FROM referrals")}
    assert kinds == {"unit", "county", "partner"}
    disputes = {s for (s,) in _all(generated, "SELECT DISTINCT status FROM disputes")}
    assert disputes == {"awaiting_response", "agreed", "awaiting_arbiter", "decided", "withdrawn"}
    # every referral has its history; a forwarded one points at its successor
    assert not _all(generated, "SELECT r.id FROM referrals r LEFT JOIN referral_events e ON e.referral_id = r.id "
                               "WHERE e.id IS NULL")
    assert not _all(generated, "SELECT id FROM referrals WHERE status = 'forwarded' AND forwarded_to_id IS NULL")
    # meetings with items, 案號, units; counts as asked
    assert _all(generated, "SELECT count(*) FROM meetings")[0][0] == 5
    assert _all(generated, "SELECT count(*) FROM action_items")[0][0] == 50
    assert _all(generated, "SELECT count(*) FROM action_items i WHERE NOT EXISTS "
                           "(SELECT 1 FROM action_item_units u WHERE u.item_id = i.id AND u.lead)")[0][0] == 0


def test_the_generator_writes_only_what_the_workflows_reach_by_their_transitions(generated):
    """Every status the data holds is one the engine's declaration reaches, and every step of a
    referral's history is a transition the declaration allows (creation first)."""
    from app.referrals import disputes, joint, services

    for kind, wf in (("county", services.COUNTY_TRANSFER_WORKFLOW), ("unit", services.WORKFLOW),
                     ("partner", services.WORKFLOW)):
        reachable = {s.value for s in wf.reachable()}
        assert {s for (s,) in _all(generated, "SELECT DISTINCT status FROM referrals WHERE kind = :k", k=kind)} <= reachable
        moves = {(a.value, b.value) for a, targets in wf.moves().items() for b in targets}
        moves |= {("", t.target.value) for t in wf.transitions.values() if t.creates}
        steps = set(_all(generated, "SELECT DISTINCT e.from_status, e.to_status FROM referral_events e JOIN referrals r "
                                    "ON r.id = e.referral_id WHERE e.kind = 'status' AND r.kind = :k", k=kind))
        assert steps <= moves, steps - moves
    assert {s for (s,) in _all(generated, "SELECT DISTINCT status FROM disputes")} <= {
        s.value for s in disputes.WORKFLOW.reachable()}
    assert {s for (s,) in _all(generated, "SELECT DISTINCT status FROM lead_handovers")} <= {
        s.value for s in joint.WORKFLOW.reachable()}


def test_exactly_one_lead_unit_per_case_of_the_right_kind(generated):
    leads = _all(generated, "SELECT c.id, count(u.id) FROM family_cases c LEFT JOIN case_units u "
                            "ON u.case_id = c.id AND u.role = 'lead' GROUP BY c.id")
    assert len(leads) == 500 and all(n == 1 for _, n in leads)
    # first dispatch: vulnerable families to a 社福中心, protective reports to the 家防中心
    wrong = _all(generated, "SELECT r.id, r.concerns, u.kind FROM reports r JOIN units u ON u.id = r.lead_unit_id "
                            "WHERE r.status = 'dispatched'")
    for _, concerns, kind in wrong:
        assert kind == ("welfare_centre" if "vulnerable_family" in concerns else "dv_centre")


def test_members_have_realistic_ages_and_valid_ids(generated):
    members = _all(generated, "SELECT relation, birth_date, estimated_age, id_number, name FROM case_members")
    assert len(members) >= 1000
    for relation, birth, estimated, id_number, name in members:
        if isinstance(birth, str):
            birth = date.fromisoformat(birth)
        age = age_on(birth, TODAY, estimated)
        if relation in ("mother", "father"):
            assert 20 <= age <= 60, (relation, birth, estimated)
        elif relation == "child":
            assert 0 <= age <= 17, (relation, birth, estimated)
        if id_number:
            assert idnumbers.is_valid(id_number), id_number
        assert 2 <= len(name) <= 4
    for (id_number,) in _all(generated, "SELECT id_number FROM report_persons WHERE id_number <> ''"):
        assert idnumbers.is_valid(id_number), id_number


def test_same_seed_same_data_other_seed_other_data(generated, tmp_path_factory):
    again = _fresh_app(tmp_path_factory, "b")
    assert _generate(again, 7).exit_code == 0
    other = _fresh_app(tmp_path_factory, "c")
    assert _generate(other, 8).exit_code == 0
    for table in CHECKSUMS:
        assert _checksum(generated, table) == _checksum(again, table), table
    assert _checksum(generated, "reports") != _checksum(other, "reports")
    assert _checksum(generated, "case_members") != _checksum(other, "case_members")


def test_the_apps_pages_work_on_generated_data(generated):
    taipei = _all(generated, "SELECT id FROM counties WHERE name = '臺北市'")[0][0]
    with generated.app_context():
        dispatcher = log_in(generated, "tpe.dispatch")
        queue = _all(generated, "SELECT report_no FROM reports WHERE tenant_id = :t AND status IN ('received', 'screening') "
                                "ORDER BY deadline_at, id LIMIT 1", t=taipei)
        page = dispatcher.get("/intake/queue")
        assert page.status_code == 200
        assert queue[0][0] in page.get_data(as_text=True)
        case_id, name = _all(generated, "SELECT c.id, m.name FROM family_cases c JOIN case_members m ON m.case_id = c.id "
                                        "WHERE c.tenant_id = :t AND c.status = 'open' ORDER BY c.id LIMIT 1", t=taipei)[0]
        page = dispatcher.get(f"/cases/{case_id}")
        assert page.status_code == 200
        html = page.get_data(as_text=True)
        assert name in html
        # the report that opened it is on the family page
        report_no = _all(generated, "SELECT report_no FROM reports WHERE case_id = :c ORDER BY received_at LIMIT 1",
                         c=case_id)[0][0]
        assert report_no in html
        page = dispatcher.get(f"/intake/reports/{_all(generated, 'SELECT id FROM reports WHERE case_id = :c LIMIT 1', c=case_id)[0][0]}")
        assert page.status_code == 200
        # the referral inbox of a demo unit that receives generated referrals
        best = None
        for username, unit_name in (("tpe.dv1", "臺北市家庭暴力暨性侵害防治中心"), ("tpe.sw1", "臺北市中正社會福利服務中心"),
                                    ("tpe.mh1", "臺北市政府衛生局社區心理衛生中心")):
            rows = _all(generated, "SELECT r.referral_no FROM referrals r JOIN units u ON u.id = r.to_unit_id "
                                   "WHERE u.name = :n ORDER BY r.deadline_at LIMIT 1", n=unit_name)
            if rows:
                best = (username, rows[0][0])
                break
        assert best is not None
        worker = log_in(generated, best[0])
        page = worker.get("/referrals?box=received&all=1")
        assert page.status_code == 200
        assert best[1] in page.get_data(as_text=True)
        admin = log_in(generated, "tpe.admin")
        for url in ("/cases/search?name=" + name[:2], "/disputes", "/intake/figures"):
            assert admin.get(url).status_code == 200, url


def test_the_app_issues_new_numbers_without_collision(generated):
    from app.accounts.models import User
    from app.core import tenancy
    from app.intake import services as intake
    from app.intake.reference import ReportingChannel
    from app.referrals.services import _new_referral_no
    from app.tenants.models import County, Unit

    with generated.app_context():
        taipei = db.session.scalars(sa.select(County).where(County.name == "臺北市")).one()
        dispatcher = db.session.scalars(sa.select(User).where(User.username == "tpe.dispatch")).one()
        centre = db.session.scalars(sa.select(Unit).where(Unit.name == "臺北市中正社會福利服務中心")).one()
        district = db.session.execute(sa.text("SELECT id FROM districts WHERE county_id = :c AND name = '中正區'"),
                                      {"c": taipei.id}).scalar()
        with tenancy.tenant_scope(taipei.id):
            report, _ = intake.receive(taipei, intake.ReportInput(
                district_id=district, concerns=["vulnerable_family"], narrative="測試：產生資料後的新通報。",
                persons=[intake.PersonInput("測試媽媽", "F", date(1988, 1, 1), relation="mother")],
                received_at=datetime.now(TAIPEI) - timedelta(days=1)), ReportingChannel("36"))
            intake.claim(report, dispatcher)
            case = intake.dispatch(report, dispatcher, centre)
            referral_no = _new_referral_no()
            case_no, report_no = case.case_no, report.report_no
            db.session.commit()
        assert case_no.startswith(f"{TODAY.year - 1911}-63000-")
        taken = _all(generated, "SELECT count(*) FROM referrals WHERE referral_no = :n", n=referral_no)[0][0]
        assert taken == 0
        assert _all(generated, "SELECT count(*) FROM family_cases WHERE case_no = :n", n=case_no)[0][0] == 1
        assert _all(generated, "SELECT count(*) FROM reports WHERE report_no = :n", n=report_no)[0][0] == 1


def test_refuses_twice_without_reference_data_and_in_production(generated, tmp_path_factory):
    again = _generate(generated, 7)
    assert again.exit_code != 0 and "已有 seed-scale 產生的資料" in again.output
    path = tmp_path_factory.mktemp("scale_empty") / "empty.sqlite3"
    empty = build_app(f"sqlite:///{path}", MIGRATIONS_DATABASE_URL=f"sqlite:///{path}")
    with empty.app_context():
        from flask_migrate import upgrade

        upgrade()
    result = _generate(empty, 7)
    assert result.exit_code != 0 and "尚未載入參考資料" in result.output
    production = build_app(f"sqlite:///{path}", MIGRATIONS_DATABASE_URL=f"sqlite:///{path}", APP_ENV="production",
                           PRODUCTION=True)
    result = _generate(production, 7)
    assert result.exit_code != 0 and "正式環境" in result.output


def test_each_countys_campaign_list_is_computed_by_the_campaigns_own_job(generated):
    """seed-scale's last phase: the coming campaign's visit list of every county with open families, made by
    the job a county administrator's button queues (a done run per county, its count the entries')."""
    from app.campaigns import services as campaigns
    from app.extensions import db
    from app.scale.command import campaign_lists

    printed = []
    with generated.app_context():
        campaign_lists(printed.append)
        assert printed == ["  [campaign] 沒有春節關懷專案（demo 資料未載入），略過名單計算"]
        campaigns.open_campaign("116年春節加強關懷弱勢實施計畫", date(2027, 2, 5), date(2027, 2, 10), None)
        db.session.commit()
        campaign_lists(printed.append)
    runs = _all(generated, "SELECT tenant_id, status, families, listed FROM campaign_list_runs ORDER BY tenant_id")
    open_counties = _all(generated, "SELECT DISTINCT tenant_id FROM family_cases WHERE status IN ('awaiting_assignment', "
                                    "'assessing', 'opening_review', 'open', 'closing_review') ORDER BY tenant_id")
    assert [r[0] for r in runs] == [c[0] for c in open_counties] and {r[1] for r in runs} == {"done"}
    entries = dict(_all(generated, "SELECT tenant_id, count(*) FROM campaign_entries GROUP BY tenant_id"))
    assert all(entries.get(tenant, 0) == listed for tenant, _, _, listed in runs)
    assert sum(r[3] for r in runs) > 0 and "縣市名單" in printed[-1]
