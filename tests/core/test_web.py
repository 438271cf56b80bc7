"""Health, security headers, htmx fragments."""
import json


def test_healthz_reports_database_and_redis(client, app):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = json.loads(response.get_data(as_text=True))
    assert body["database"] == "ok"
    assert body["redis"] == ("ok" if app.config["REDIS_URL"] else "absent")


def test_healthz_is_503_when_the_database_is_down(tmp_path):
    from app import create_app

    broken = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/missing/dir/db.sqlite3",
                         "SECRET_KEY": "x", "REDIS_URL": None})
    response = broken.test_client().get("/healthz")
    assert response.status_code == 503
    assert json.loads(response.get_data(as_text=True))["database"] == "down"


def test_security_headers(client):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "HX-Request" in response.headers["Vary"]
    assert response.headers["Cache-Control"] == "no-store"


def test_no_inline_script_in_pages(as_user):
    import re

    body = as_user("tpe.admin").get("/admin/users").get_data(as_text=True)
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", body, re.S)
    assert scripts and all('src="' in attrs and not content.strip() for attrs, content in scripts)
    assert re.search(r"<[^>]+\son[a-z]+\s*=", body) is None  # no inline event handlers either


def test_session_cookie_flags(client):
    client.refresh_csrf()
    response = client.post("/login", {"username": "tpe.sw1", "password": "demo1234"})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_secure_cookie_and_secret_required_in_production(monkeypatch):
    import pytest

    from app import create_app
    from app.config import ConfigError

    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    with pytest.raises(ConfigError):
        create_app()
    monkeypatch.setenv("SECRET_KEY", "s" * 40)
    monkeypatch.setenv("DATABASE_URL", "postgresql://app@db/safetynet")
    prod = create_app()
    assert prod.config["SESSION_COOKIE_SECURE"] is True
    assert prod.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql+psycopg://")


def test_csrf_is_required_on_posts(as_user):
    admin = as_user("tpe.admin")
    response = admin.post("/admin/users/new", {"username": "x"}, csrf=False)
    assert response.status_code == 400
    assert "表單已過期" in response.get_data(as_text=True)


def test_htmx_request_gets_only_the_fragment(as_user):
    admin = as_user("tpe.admin")
    full = admin.get("/admin/users?q=tpe.sw")
    fragment = admin.get("/admin/users?q=tpe.sw", headers={"HX-Request": "true"})
    assert "<html" in full.get_data(as_text=True)
    body = fragment.get_data(as_text=True)
    assert "<html" not in body and "<table" in body and "tpe.sw1" in body
    boosted = admin.get("/admin/users", headers={"HX-Request": "true", "HX-Boosted": "true"})
    assert "<html" in boosted.get_data(as_text=True)


def test_htmx_request_without_login_is_told_to_redirect(client):
    response = client.get("/admin/users", headers={"HX-Request": "true"})
    assert response.status_code == 401
    assert response.headers["HX-Redirect"].startswith("/login")


def test_error_pages_are_in_chinese(as_user):
    response = as_user("tpe.sw1").get("/admin/users")
    assert response.status_code == 403
    assert "沒有權限" in response.get_data(as_text=True)
    response = as_user("tpe.admin").get("/admin/users/999999")
    assert response.status_code == 404
    assert "找不到" in response.get_data(as_text=True)


def test_htmx_posts_carry_the_token_in_a_header(as_user):
    admin = as_user("tpe.admin")
    headers = {"HX-Request": "true", "X-CSRFToken": admin.csrf}
    response = admin.post("/admin/users/new", {"username": ""}, csrf=False, headers=headers)
    assert response.status_code == 422  # validated, not refused as a forgery
    assert "<html" not in response.get_data(as_text=True)  # htmx gets the fragment
