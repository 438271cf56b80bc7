"""Fixtures: ``app`` (migrated and seeded once per run), ``db`` (each test in a
transaction rolled back at the end), ``client``, ``as_user``, ``factories``, the
objects shared by several test packages, and the browser's. SQLite by default;
PostgreSQL and Redis when ``DATABASE_URL`` / ``REDIS_URL`` are set (see .ci/run).
Helpers that are not fixtures are in support.py (and factories.py)."""
from __future__ import annotations

import os
import time
from collections import deque
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import orm as sa_orm

from app.campaigns import services as campaigns
from app.campaigns.models import VisitEntry
from app.cases.models import CaseMember
from app.core import tenancy
from app.extensions import db as _db
from app.intake import services as intake
from app.intake.reference import ReportingChannel
from tests.browser.axe import SEEN as AXE_SEEN, AxeWatch, summary_lines as axe_summary_lines, write_report as write_axe_report
from tests.access import build_taipei_objects
from tests.support import CHROMIUM, DEMO_PASSWORD, LIVE, POSTGRES, REDIS_URL, UserClient, build_app, log_in, prepare_database


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    if POSTGRES:
        application = build_app(None)  # DATABASE_URL and MIGRATIONS_DATABASE_URL from the environment
    else:
        path = tmp_path_factory.mktemp("db") / "test.sqlite3"
        application = build_app(f"sqlite:///{path}", MIGRATIONS_DATABASE_URL=f"sqlite:///{path}")
    prepare_database(application)
    return application


@pytest.fixture
def db(app):
    """Each test runs inside one outer transaction that is rolled back; the
    app's commits become savepoints."""
    from flask_sqlalchemy.session import _app_ctx_id

    with app.app_context():
        connection = _db.engine.connect()
        outer = connection.begin()
        original = _db.session
        _db.session = sa_orm.scoped_session(
            sa_orm.sessionmaker(bind=connection, join_transaction_mode="create_savepoint"),
            scopefunc=_app_ctx_id,
        )
        try:
            yield _db
        finally:
            _db.session.remove()
            _db.session = original
            outer.rollback()
            connection.close()


@pytest.fixture
def client(app, db):
    return UserClient(app.test_client(), None)


@pytest.fixture
def as_user(app, db):
    """``as_user("tpe.admin")``: a logged-in client for a demo or factory-made user."""

    def make(username: str, password: str = DEMO_PASSWORD) -> UserClient:
        return log_in(app, username, password)

    return make


@pytest.fixture
def inline_jobs(app):
    """Run jobs inline for this test even when REDIS_URL is set (the worker could not see
    the test's uncommitted rows)."""
    saved = app.config["REDIS_URL"]
    app.config["REDIS_URL"] = None
    yield
    app.config["REDIS_URL"] = saved


@pytest.fixture
def count_queries(db):
    """``with count_queries() as box: …`` then ``box["n"]``: the statements sent to the database in
    the block (``box["statements"]`` has them), without PostgreSQL's per-transaction tenant setting
    and without the savepoints that stand in for the app's commits inside a test's transaction."""
    from contextlib import contextmanager

    from sqlalchemy import event

    @contextmanager
    def counting():
        box = {"n": 0, "statements": []}

        def count(conn, cursor, statement, *args):
            if not statement.lstrip().startswith(("SELECT set_config", "SAVEPOINT", "RELEASE SAVEPOINT",
                                                  "ROLLBACK TO SAVEPOINT")):
                box["n"] += 1
                box["statements"].append(statement)

        event.listen(_db.engine, "before_cursor_execute", count)
        try:
            yield box
        finally:
            event.remove(_db.engine, "before_cursor_execute", count)

    return counting


@pytest.fixture
def factories(db):
    from . import factories as f

    return f


@pytest.fixture
def taipei_objects(db, factories):
    """One of every record of 臺北市 (a report, a case of 中正社福中心, a referral, …), made in the
    test's transaction: the access matrix's objects, which the hardening tests reuse (tests/access.py)."""
    return build_taipei_objects(db, factories)


# --- Shared by the campaign and report tests: three families of 中正社福中心 and a spring campaign ---

@pytest.fixture
def taipei_cases(db, factories):
    taipei = factories.county("臺北市")
    district = next(d for d in taipei.districts if d.name == "中正區")
    dispatcher = factories.user("tpe.dispatch")
    centre = factories.unit("臺北市中正社會福利服務中心")
    made = {}
    with tenancy.tenant_scope(taipei.id):
        for key, persons in {
            "drug": [intake.PersonInput(name="林媽媽", relation="mother", birth_date=date(1990, 1, 1)),
                     intake.PersonInput(name="林小弟", relation="child", birth_date=date(2015, 1, 1))],
            "young": [intake.PersonInput(name="陳媽媽", relation="mother", birth_date=date(2008, 6, 1)),
                      intake.PersonInput(name="陳寶寶", relation="child", birth_date=date(2024, 6, 1))],
            "plain": [intake.PersonInput(name="黃媽媽", relation="mother", birth_date=date(1985, 1, 1)),
                      intake.PersonInput(name="黃小妹", relation="child", birth_date=date(2014, 1, 1))],
        }.items():
            report, _ = intake.receive(taipei, intake.ReportInput(district_id=district.id, concerns=["vulnerable_family"],
                                                                  narrative=key, persons=persons), ReportingChannel("36"))
            intake.claim(report, dispatcher)
            made[key] = intake.dispatch(report, dispatcher, centre)
        mother = db.session.scalars(sa.select(CaseMember).where(CaseMember.case_id == made["drug"].id,
                                                                CaseMember.relation == "mother")).one()
        mother.flags = ["drug"]
        campaign = campaigns.open_campaign("116年春節加強關懷", date(2027, 2, 5), date(2027, 2, 14), factories.user("moh.protect"))
        db.session.flush()
    made["taipei"], made["campaign"], made["centre"] = taipei, campaign, centre
    return made


@pytest.fixture
def listed(taipei_cases, factories, monkeypatch):
    t = taipei_cases
    monkeypatch.setattr(campaigns, "today", lambda: date(2027, 2, 1))
    with tenancy.tenant_scope(t["taipei"].id):
        campaigns.compute_list(t["campaign"], t["taipei"].id)
        entries = {e.case_id: e for e in _db.session.scalars(sa.select(VisitEntry))}
        yield t, entries


# --- Browser tests: a real server in a thread, on a database of its own ------


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    import threading

    from sqlalchemy.engine import make_url
    from werkzeug.serving import make_server

    queue_name = f"e2e-{os.getpid()}"  # its own queue: the unit tests' queue stays theirs
    if POSTGRES:
        owner = make_url(os.environ["MIGRATIONS_DATABASE_URL"])
        runtime = make_url(os.environ["DATABASE_URL"])
        name = f"{owner.database}_e2e"
        admin = sa.create_engine(owner.set(database="postgres"), isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        admin.dispose()
        database_url = runtime.set(database=name).render_as_string(hide_password=False)
        application = build_app(
            database_url, RQ_QUEUE=queue_name,
            MIGRATIONS_DATABASE_URL=owner.set(database=name).render_as_string(hide_password=False),
        )
    else:
        path = tmp_path_factory.mktemp("e2e") / "e2e.sqlite3"
        database_url = f"sqlite:///{path}"
        application = build_app(database_url, MIGRATIONS_DATABASE_URL=database_url, RQ_QUEUE=queue_name)
    application.config["TESTING"] = False
    prepare_database(application)
    import logging

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    LIVE["app"] = application  # for a browser test that must put data in place the pages cannot (a case's history)
    server = make_server("127.0.0.1", 0, application, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    worker = None
    if REDIS_URL:  # with Redis, jobs go to RQ: run a real worker on the same database, as production does
        import subprocess
        import sys

        env = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": REDIS_URL, "RQ_QUEUE": queue_name,
               "SECRET_KEY": "test-secret"}
        worker = subprocess.Popen([sys.executable, "-m", "flask", "--app", "app", "rq-worker"], env=env,
                                  cwd=Path(__file__).resolve().parent.parent)
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        if worker is not None:
            worker.terminate()
            try:
                worker.wait(timeout=10)
            except subprocess.TimeoutExpired:  # RQ's warm shutdown can wait out its dequeue (30 s seen): no orphan
                worker.kill()
                worker.wait(timeout=10)



@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        if os.environ.get("REQUIRE_BROWSER"):
            pytest.fail(f"browser tests required but {CHROMIUM} is missing")
        pytest.skip(f"{CHROMIUM} not installed (make test installs it where it can)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        )
        yield instance
        instance.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A failed browser test says what the page showed (address, title, the alerts and the field
    errors on it), so a failure in CI explains itself without a screenshot."""
    outcome = yield
    report = outcome.get_result()
    funcargs = getattr(item, "funcargs", {})
    pg = funcargs.get("page") or funcargs.get("phone")
    if report.when != "call" or not report.failed or pg is None:
        return
    try:
        alerts = pg.locator("[role=alert], .alert, .invalid-feedback, .text-danger").all_inner_texts()
        shown = [f"url: {pg.url}", f"title: {pg.title()}", *[f"alert: {a.strip()}" for a in alerts if a.strip()]]
        shown += [f"console: {c}" for c in getattr(pg, "console_errors", [])]
        shown += [f"answer: {a}" for a in getattr(pg, "answers", [])]
    except Exception as exc:  # the page may be gone with the failure
        shown = [f"(the page could not be read: {exc})"]
    report.sections.append(("what the page showed", "\n".join(shown)))


class _Navigations:
    """The page's navigations, counted, so that a click that leads to another page returns once that
    page has loaded. Playwright's click no longer waits for the navigation it starts, and a fill or
    an assertion right after it acted, on a loaded machine, on the page being left (a refused form
    re-rendered at the same address; a link to a page with a like-named field; ``main`` read before
    the new page arrived). ``wait_for_load_state()`` after a click is therefore a real wait too."""

    GRACE_S = 0.5  # a click's navigation starts within this, or the click made none (htmx, a dialog)
    LIMIT_S = 60

    def __init__(self, pg):
        self.pg, self.started, self.finished, self.mark, self.unsettled = pg, 0, 0, 0, False
        pg.on("request", self._request)
        pg.on("requestfailed", self._failed)
        pg.on("load", self._done)
        pg.on("download", self._done)

    def _main(self, request) -> bool:
        return request.is_navigation_request() and request.frame == self.pg.main_frame

    def _request(self, request):
        if self._main(request):
            self.started += 1

    def _failed(self, request):
        if self._main(request):
            self.finished = self.started

    def _done(self, _):
        self.finished = self.started

    def clicked(self):
        self.mark, self.unsettled = self.started, True

    def settle(self):
        """Wait for the page the last click leads to, if it leads anywhere."""
        if not self.unsettled:
            return
        self.unsettled = False
        until = time.monotonic() + self.GRACE_S
        while self.started == self.mark and time.monotonic() < until:
            self.pg.wait_for_timeout(50)
        until = time.monotonic() + self.LIMIT_S
        while self.finished < self.started and time.monotonic() < until:
            self.pg.wait_for_timeout(50)


# A phone as the worker carries it on a home visit: 375 px wide, touch, a mobile browser.
PHONE = {"viewport": {"width": 375, "height": 667}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True,
         "user_agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
                       "Version/17.5 Mobile/15E148 Safari/604.1"}


@pytest.fixture
def page(browser, live_server, monkeypatch):
    yield from _wired_page(browser, live_server, monkeypatch, viewport={"width": 1280, "height": 900})


@pytest.fixture
def phone(browser, live_server, monkeypatch):
    """The same page, on a phone (Playwright's mobile emulation in Chromium)."""
    yield from _wired_page(browser, live_server, monkeypatch, **PHONE)


def _wired_page(browser, live_server, monkeypatch, **device):
    from playwright.sync_api import Locator

    context = browser.new_context(base_url=live_server, locale="zh-TW", **device)
    pg = context.new_page()
    navigations = pg.navigations = _Navigations(pg)
    plain_click, plain_wait = Locator.click, pg.wait_for_load_state

    axe = AxeWatch(pg)
    plain_goto = pg.goto

    def click(locator, *args, **kwargs):
        if locator.page is not pg:
            return plain_click(locator, *args, **kwargs)
        navigations.clicked()
        result = plain_click(locator, *args, **kwargs)
        navigations.settle()
        axe.check()
        return result

    def goto(*args, **kwargs):
        result = plain_goto(*args, **kwargs)
        axe.check()
        return result

    def wait_for_load_state(*args, **kwargs):
        navigations.settle()
        return plain_wait(*args, **kwargs)

    monkeypatch.setattr(Locator, "click", click)
    pg.wait_for_load_state = wait_for_load_state
    pg.goto = goto
    pg.axe = axe
    errors = []
    pg.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    pg.console_errors = errors
    pg.answers = deque(maxlen=8)  # the last requests the page made, for a failure's report
    pg.on("response", lambda r: pg.answers.append(f"{r.request.method} {r.url} → {r.status}")
          if r.request.resource_type in ("document", "xhr", "fetch") else None)
    yield pg
    axe.check()  # where the test ended
    context.close()
    problems = axe.problems()
    assert not problems, "axe (WCAG 2.1 A/AA) found on the pages this test reached:\n" + "\n".join(problems)


def pytest_terminal_summary(terminalreporter):
    lines = axe_summary_lines()
    write_axe_report()
    if lines:
        terminalreporter.write_sep("-", f"axe: {len(AXE_SEEN)} page states checked")
        for line in lines:
            terminalreporter.write_line(line)
