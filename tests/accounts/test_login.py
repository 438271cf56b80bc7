
import re

import sqlalchemy as sa

from app.audit.models import AuditAction, AuditEvent
from app.core import tenancy


def _events(db, action):
    with tenancy.all_tenants("test reads the whole log"):
        return db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action)).all()


def test_demo_user_logs_in_and_sees_county_shell(as_user):
    c = as_user("tpe.sw1")
    page = c.get("/").get_data(as_text=True)
    assert "王淑芬" in page
    assert "臺北市中正社會福利服務中心" in page
    assert "臺北市" in page and "花蓮縣" not in page
    assert "shell-county" in page


def test_hualien_worker_sees_hualien(as_user):
    page = as_user("hua.sw1").get("/").get_data(as_text=True)
    assert "花蓮縣" in page and "臺北市中正" not in page


def test_wrong_password_keeps_username_and_says_so_in_chinese(client, db):
    client.refresh_csrf()
    response = client.post("/login", {"username": "tpe.sw1", "password": "wrong"})
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "帳號或密碼錯誤" in body
    assert 'value="tpe.sw1"' in body
    assert "wrong" not in body  # the password is never sent back
    failed = _events(db, AuditAction.LOGIN_FAILED)
    assert any(e.actor_username == "" and "密碼錯誤" in e.summary for e in failed)


def test_empty_form_gets_field_messages(client, db):
    client.refresh_csrf()
    response = client.post("/login", {"username": "", "password": ""})
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "請填寫「帳號」" in body and "請填寫「密碼」" in body


def test_unknown_user_gets_the_same_message(client, db):
    client.refresh_csrf()
    response = client.post("/login", {"username": "nobody", "password": "x"})
    assert response.status_code == 422
    assert "帳號或密碼錯誤" in response.get_data(as_text=True)


def test_five_failures_lock_the_account_and_are_logged(client, db, factories):
    client.refresh_csrf()
    for _ in range(5):
        client.post("/login", {"username": "tpe.sw2", "password": "bad"})
    user = factories.user("tpe.sw2")
    assert user.locked_until is not None
    response = client.post("/login", {"username": "tpe.sw2", "password": "demo1234"})
    assert response.status_code == 422
    assert "暫時鎖定" in response.get_data(as_text=True)
    assert len(_events(db, AuditAction.LOCKOUT)) == 1
    assert len([e for e in _events(db, AuditAction.LOGIN_FAILED) if e.record_id == str(user.id)]) == 6


def test_login_renews_the_session(app, client, db):
    client.refresh_csrf()
    with client.client.session_transaction() as s:
        s["planted"] = "by-attacker"
    response = client.post("/login", {"username": "tpe.sw1", "password": "demo1234"})
    assert response.status_code == 303
    with client.client.session_transaction() as s:
        assert "planted" not in s
        assert s.get("sid")


def test_login_is_audited_with_the_county(as_user, db, factories):
    as_user("tpe.sw1")
    logins = [e for e in _events(db, AuditAction.LOGIN) if e.record_id == str(factories.user("tpe.sw1").id)]
    assert logins and logins[-1].tenant_id == factories.county("臺北市").id


def test_logout_ends_the_session(as_user):
    c = as_user("tpe.sw1")
    response = c.post("/logout")
    assert response.status_code == 303
    assert c.get("/").status_code == 302


def test_next_parameter_cannot_send_users_elsewhere(client, db):
    client.refresh_csrf()
    response = client.post("/login?next=https://evil.example/x", {"username": "tpe.sw1", "password": "demo1234"})
    assert response.headers["Location"] == "/"


def test_password_is_never_logged(client, db, caplog):
    client.refresh_csrf()
    with caplog.at_level("DEBUG"):
        client.post("/login", {"username": "tpe.sw1", "password": "Sekrit-Value-99"})
    assert "Sekrit-Value-99" not in caplog.text
    with tenancy.all_tenants("test"):
        rows = db.session.scalars(sa.select(AuditEvent)).all()
    assert not any("Sekrit-Value-99" in (e.summary + str(e.changes)) for e in rows)


def test_login_is_rate_limited_per_address_besides_the_account_lockout(app, db, factories):
    from app.extensions import limiter
    from tests.support import UserClient

    app.config["LOGIN_RATE"] = "20 per minute"
    limiter.reset()
    try:
        attacker = UserClient(app.test_client(), None)
        attacker.client.environ_base["REMOTE_ADDR"] = "203.0.113.7"
        attacker.refresh_csrf()
        answers = [attacker.post("/login", {"username": "tpe.sw2", "password": f"guess-{n}"}).status_code
                   for n in range(20)]
        assert answers == [422] * 20
        limited = attacker.post("/login", {"username": "tpe.sw2", "password": "guess-21"})
        assert limited.status_code == 429
        body = limited.get_data(as_text=True)
        assert "嘗試登入太多次" in body and 'value="tpe.sw2"' in body and "guess-21" not in body
        # the lockout counted every attempt that got through: locked after the fifth, audited 20 times
        user = factories.user("tpe.sw2")
        assert user.is_locked()
        failed = [e for e in _events(db, AuditAction.LOGIN_FAILED) if e.record_id == str(user.id)]
        assert len(failed) == 20
        # the second step shares the address's budget
        assert attacker.post("/login/verify", {"code": "123456"}).status_code == 429
        # another address is not limited, but the account stays locked there
        office = UserClient(app.test_client(), None)
        office.client.environ_base["REMOTE_ADDR"] = "198.51.100.20"
        office.refresh_csrf()
        locked = office.post("/login", {"username": "tpe.sw2", "password": "demo1234"})
        assert locked.status_code == 422 and "暫時鎖定" in locked.get_data(as_text=True)
        assert office.post("/login", {"username": "tpe.sw1", "password": "demo1234"}).status_code == 303
    finally:
        app.config["LOGIN_RATE"] = "100000 per minute"
        limiter.reset()


def _scan_for(db, caplog, *secrets):
    """No secret in the captured log or anywhere in the audit log (summaries and change JSON)."""
    with tenancy.all_tenants("test"):
        rows = db.session.scalars(sa.select(AuditEvent)).all()
    stored = "\n".join(e.summary + " " + str(e.changes) for e in rows)
    for secret in secrets:
        assert secret not in caplog.text, secret
        assert secret not in stored, secret


def test_password_change_and_reset_are_never_logged(as_user, db, factories, caplog):
    sw1 = as_user("tpe.sw1")
    with caplog.at_level("DEBUG"):
        response = sw1.post("/account/password", {"current": "demo1234", "new": "Fresh-Passw0rd-42",
                                                  "confirm": "Fresh-Passw0rd-42"})
        assert response.status_code == 303
        admin = as_user("tpe.admin")
        page = admin.post(f"/admin/users/{factories.user('tpe.sw1').id}/reset-password").get_data(as_text=True)
    temporary = re.search(r'id="temporary-password">([^<]+)<', page).group(1)
    assert len(temporary) == 15
    _scan_for(db, caplog, "Fresh-Passw0rd-42", "demo1234", temporary)
    changes = [e for e in _events(db, AuditAction.PASSWORD_CHANGE) + _events(db, AuditAction.PASSWORD_RESET)]
    assert len(changes) == 2  # both audited, without the secrets


def test_totp_secrets_and_codes_are_never_logged(app, db, factories, caplog):
    import pyotp

    from tests.support import UserClient

    c = UserClient(app.test_client(), "tpe.sw1")
    with caplog.at_level("DEBUG"):
        c.refresh_csrf()
        c.post("/login", {"username": "tpe.sw1", "password": "demo1234"})
        page = c.get("/account/totp").get_data(as_text=True)
        secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', page).group(1)
        code = pyotp.TOTP(secret).now()
        c.refresh_csrf("/account/totp")
        assert c.post("/account/totp", {"code": code}).status_code == 303
        admin = UserClient(app.test_client(), "tpe.admin")
        admin.refresh_csrf()
        admin.post("/login", {"username": "tpe.admin", "password": "demo1234"})
        admin_code = pyotp.TOTP(factories.user("tpe.admin").totp_secret).now()
        admin.refresh_csrf("/login/verify")
        assert admin.post("/login/verify", {"code": admin_code}).status_code == 303
    _scan_for(db, caplog, secret, code, admin_code, factories.user("tpe.admin").totp_secret)


def test_access_logs_carry_no_request_bodies(caplog):
    """werkzeug's (``flask run``) and gunicorn's (the Procfile) access lines have the request line,
    never the body: a password posted to /login does not reach them."""
    import io
    import threading
    import urllib.request
    from datetime import timedelta
    from pathlib import Path
    from types import SimpleNamespace

    from gunicorn.config import Config
    from gunicorn.glogging import Logger
    from werkzeug.serving import make_server

    def echo(environ, start_response):
        environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        start_response("303 See Other", [("Location", "/")])
        return [b""]

    body = b"username=tpe.sw1&password=Body-Secret-77"
    server = make_server("127.0.0.1", 0, echo)
    thread = threading.Thread(target=server.handle_request)
    thread.start()
    with caplog.at_level("INFO", logger="werkzeug"):
        request = urllib.request.Request(f"http://127.0.0.1:{server.server_port}/login", data=body, method="POST")

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args, **kwargs):
                return None

        try:
            urllib.request.build_opener(NoRedirect).open(request)
        except urllib.error.HTTPError:
            pass
        thread.join(timeout=10)
    server.server_close()
    werkzeug_lines = [r.getMessage() for r in caplog.records if r.name == "werkzeug"]
    assert any("POST /login" in line for line in werkzeug_lines)
    assert not any("Body-Secret-77" in line for line in werkzeug_lines)

    procfile = (Path(__file__).resolve().parents[2] / "Procfile").read_text()
    assert "--access-logfile -" in procfile and "--access-logformat" not in procfile  # gunicorn's default format
    caplog.clear()
    cfg = Config()
    cfg.set("accesslog", "-")
    logger = Logger(cfg)
    environ = {"REQUEST_METHOD": "POST", "RAW_URI": "/login", "PATH_INFO": "/login", "QUERY_STRING": "",
               "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "203.0.113.7", "wsgi.input": io.BytesIO(body),
               "CONTENT_LENGTH": str(len(body))}
    response = SimpleNamespace(status="303 See Other", sent=0, headers=[("Location", "/")])
    with caplog.at_level("INFO", logger="gunicorn.access"):
        logger.access_log.propagate = True
        logger.access(response, SimpleNamespace(headers=[("Content-Type", "application/x-www-form-urlencoded")]),
                      environ, timedelta(milliseconds=5))
    lines = [r.getMessage() for r in caplog.records if r.name == "gunicorn.access"]
    assert lines and '"POST /login HTTP/1.1" 303' in lines[0]
    assert "Body-Secret-77" not in lines[0]
