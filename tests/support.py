"""What the tests share that is not a fixture: building and seeding an app, a test client
that sends the CSRF token, logging in (with the second factor for administrators), and the
live server's app for browser tests. The fixtures themselves are in conftest.py."""
from __future__ import annotations

import contextvars
import os
import re
import shutil
import subprocess
from pathlib import Path

import sqlalchemy as sa

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


def log_in(app, username: str, password: str = DEMO_PASSWORD) -> UserClient:
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


# The live server's app, for a browser test that must put data in place the pages cannot (a case's history)
LIVE: dict = {}
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"


# --- PDFs (poppler-utils) ---

def pages_text(path: Path) -> list[str]:
    """Each page's text with the layout's spaces and line breaks taken out (a cell's text wraps)."""
    out = []
    n = int(re.search(r"Pages:\s+(\d+)", subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True,
                                                           check=True).stdout).group(1))
    for p in range(1, n + 1):
        text = subprocess.run(["pdftotext", "-f", str(p), "-l", str(p), str(path), "-"], capture_output=True,
                              text=True, check=True).stdout
        out.append(re.sub(r"\s+", "", text))
    return out


def keep(path: Path, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    shutil.copy(path, ARTIFACTS / name)
    subprocess.run(["pdftoppm", "-png", "-r", "45", str(path), str(ARTIFACTS / name.replace(".pdf", ""))], check=False)
