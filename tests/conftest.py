"""Fixtures: ``app`` (migrated and seeded once per run), ``db`` (each test in a
transaction rolled back at the end), ``client``, ``login``/``as_user`` helpers,
factories. SQLite by default; PostgreSQL and Redis when ``DATABASE_URL`` /
``REDIS_URL`` are set (see .ci/run)."""
from __future__ import annotations

import contextvars
import os
import re
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import orm as sa_orm

from app import create_app
from app.extensions import db as _db

POSTGRES = os.environ.get("DATABASE_URL", "").startswith("postgres")
REDIS_URL = os.environ.get("REDIS_URL") or None
DEMO_PASSWORD = "demo1234"
CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|"X-CSRFToken": "([^"]+)"')


def _reset_postgres(owner_url: str, app_role: str) -> None:
    engine = sa.create_engine(owner_url, poolclass=sa.pool.NullPool)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA public CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA public"))
        conn.execute(sa.text("GRANT USAGE ON SCHEMA public TO public"))
    engine.dispose()


def build_app(database_url: str | None, **overrides):
    config = {"TESTING": True, "REDIS_URL": REDIS_URL, "SECRET_KEY": "test-secret",
              # generous limits: tests of the limits lower them themselves
              "PUBLIC_REPORT_RATE": "1000 per minute", "STATUS_LOOKUP_RATE": "1000 per minute",
              "LOGIN_RATE": "100000 per minute",
              "RATELIMIT_STORAGE_URI": "memory://", **overrides}
    if database_url:
        config["SQLALCHEMY_DATABASE_URI"] = database_url
    return create_app(config)


def prepare_database(app) -> None:
    """Migrate from empty and load reference data and demo accounts (committed)."""
    from flask_migrate import upgrade

    from app.accounts.demo import seed_demo_users
    from app.tenants.seed import seed_reference_data

    with app.app_context():
        if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
            _reset_postgres(app.config["MIGRATIONS_DATABASE_URL"], app.config["DB_APP_ROLE"])
        upgrade()
        seed_reference_data()
        seed_demo_users()
        _db.session.commit()
        _db.session.remove()
        _db.engine.dispose()


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


class UserClient:
    """A test client for one person, sending the CSRF token with every post.

    Each request runs in an empty context, as in a real server: it gets its
    own app context, ``g`` and session (the test's own app context would
    otherwise be reused by Flask and leak ``g`` between requests). The test's
    session is expired afterwards so it sees what the request committed.
    """

    def _run(self, method, *args, **kw):
        response = contextvars.Context().run(method, *args, **kw)
        from flask import has_app_context

        if has_app_context():
            _db.session.expire_all()
        return response

    def __init__(self, client, username: str | None):
        self.client = client
        self.username = username
        self.csrf = None

    def refresh_csrf(self, path: str = "/login"):
        response = self._run(self.client.get, path, follow_redirects=True)
        match = CSRF_RE.search(response.get_data(as_text=True))
        self.csrf = next(g for g in match.groups() if g) if match else None
        return self.csrf

    def get(self, url, **kw):
        return self._run(self.client.get, url, **kw)

    def post(self, url, data=None, *, csrf=True, headers=None, **kw):
        data = dict(data or {})
        if csrf and "csrf_token" not in data:
            if self.csrf is None:
                self.refresh_csrf("/" if self.username else "/login")
            data["csrf_token"] = self.csrf
        return self._run(self.client.post, url, data=data, headers=headers or {}, **kw)


def totp_code(username: str) -> str:
    """The code a user's authenticator app would show now, from the secret stored for them: the next
    step's when this one was used; when that is used too (a third login within 30 seconds), the
    last accepted step is moved back a minute first, as if the test had waited."""
    from app.accounts.models import User
    from app.accounts.services import next_totp_code

    user = _db.session.scalars(sa.select(User).where(User.username == username)).one()
    _db.session.refresh(user)
    code = next_totp_code(user)
    if code is None:
        user.totp_last_step -= 2
        _db.session.commit()
        code = next_totp_code(user)
    return code


def _make_room_for_a_code(username: str) -> None:
    """Before the password step: when the user's next code is already spent (logins within the same
    30 seconds), move the last accepted step back now. Doing it after the password step would
    change what the pending login was bound to, and the code step would send back to /login."""
    from app.accounts.models import User
    from app.accounts.services import next_totp_code

    user = _db.session.scalars(sa.select(User).where(User.username == username)).first()
    if user is not None and user.totp_secret and next_totp_code(user) is None:
        user.totp_last_step -= 2
        _db.session.commit()


def _in_context_of(app):
    """The app's own context for reading its users (a private test app, a restored backup), or
    nothing new when the test already runs inside it (its transaction must see the same rows)."""
    from contextlib import nullcontext

    from flask import current_app, has_app_context

    return nullcontext() if has_app_context() and current_app._get_current_object() is app else app.app_context()


def _login(app, username: str, password: str = DEMO_PASSWORD) -> UserClient:
    user_client = UserClient(app.test_client(), username)
    with _in_context_of(app):
        _make_room_for_a_code(username)
    user_client.refresh_csrf("/login")
    response = user_client.post("/login", {"username": username, "password": password})
    assert response.status_code == 303, f"login of {username} failed: {response.status_code}"
    if response.headers["Location"].endswith("/login/verify"):  # the account has a second factor
        user_client.refresh_csrf("/login/verify")
        with _in_context_of(app):
            code = totp_code(username)
        response = user_client.post("/login/verify", {"code": code})
        assert response.status_code == 303 and not response.headers["Location"].endswith("/login"), \
            f"second step of {username} failed: {response.status_code} {response.headers.get('Location')}"
    user_client.refresh_csrf("/")
    return user_client


@pytest.fixture
def client(app, db):
    return UserClient(app.test_client(), None)


@pytest.fixture
def as_user(app, db):
    """``as_user("tpe.admin")``: a logged-in client for a demo or factory-made user."""

    def make(username: str, password: str = DEMO_PASSWORD) -> UserClient:
        return _login(app, username, password)

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


# --- Browser tests: a real server in a thread, on a database of its own ------

LIVE: dict = {}


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


CHROMIUM = "/usr/bin/chromium"


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


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server, locale="zh-TW", viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    errors = []
    pg.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    pg.console_errors = errors
    yield pg
    context.close()


ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
