"""The TOTP second factor: the two-step login, replay, lockout, enrolment (required for
administrators), staff turning it on and off, an administrator's reset, and the audit entries."""
from __future__ import annotations

import re
from datetime import timedelta

import pyotp
import pytest
import sqlalchemy as sa

from app.accounts import services
from app.accounts.models import Role
from app.audit.models import AuditAction, AuditEvent
from app.core import tenancy
from app.core.models import utcnow
from tests.support import UserClient, totp_code


def _events(db, action, user=None):
    with tenancy.all_tenants("test reads the whole log"):
        rows = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action)
                                  .order_by(AuditEvent.id)).all()
    return [e for e in rows if user is None or e.record_id == str(user.id)]


def _password_step(client, username, password="demo1234"):
    client.refresh_csrf("/login")
    return client.post("/login", {"username": username, "password": password})


def _code_step(client, code):
    client.refresh_csrf("/login/verify")
    return client.post("/login/verify", {"code": code})


def _other_code(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def test_administrator_logs_in_in_two_steps(client, db, factories):
    response = _password_step(client, "tpe.admin")
    assert response.status_code == 303 and response.headers["Location"].endswith("/login/verify")
    assert client.get("/").status_code == 302  # the password alone does not log in
    page = client.get("/login/verify").get_data(as_text=True)
    assert "兩步驟驗證" in page and 'autocomplete="one-time-code"' in page
    response = _code_step(client, totp_code("tpe.admin"))
    assert response.status_code == 303 and response.headers["Location"] == "/"
    assert "蔡宗翰" in client.get("/").get_data(as_text=True)
    admin = factories.user("tpe.admin")
    logins = _events(db, AuditAction.LOGIN, admin)
    assert [e.summary for e in logins] == ["登入成功（兩步驟驗證）"]  # none at the password step


def test_wrong_code_is_refused_in_chinese_and_audited(client, db, factories):
    _password_step(client, "tpe.admin")
    response = _code_step(client, _other_code(totp_code("tpe.admin")))
    assert response.status_code == 422
    assert "驗證碼不正確" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302
    failed = _events(db, AuditAction.LOGIN_FAILED, factories.user("tpe.admin"))
    assert [e.summary for e in failed] == ["登入失敗：兩步驟驗證碼錯誤（連續第 1 次）"]
    # not six digits: a field message, not a count
    response = _code_step(client, "")
    assert response.status_code == 422 and "請填寫「驗證碼」" in response.get_data(as_text=True)


def test_a_used_code_cannot_be_replayed(app, db, factories):
    first = UserClient(app.test_client(), None)
    _password_step(first, "tpe.admin")
    admin = factories.user("tpe.admin")
    code = pyotp.TOTP(admin.totp_secret).now()
    assert _code_step(first, code).status_code == 303
    second = UserClient(app.test_client(), None)  # someone who saw the code over the shoulder
    _password_step(second, "tpe.admin")
    response = _code_step(second, code)
    assert response.status_code == 422 and "已使用過" in response.get_data(as_text=True)
    assert second.get("/").status_code == 302


def test_codes_one_step_either_side_are_accepted_once(db, factories):
    user = factories.user("tpe.admin")
    now = utcnow()
    totp = pyotp.TOTP(user.totp_secret)
    earlier, later = totp.at(now - timedelta(seconds=30)), totp.at(now + timedelta(seconds=30))
    assert services.verify_second_factor(user, later, now=now).user is user
    # the step before is now older than the last one accepted: refused, like any used code
    assert services.verify_second_factor(user, earlier, now=now).user is None
    assert services.verify_second_factor(user, totp.at(now + timedelta(seconds=90)), now=now).user is None
    user.totp_last_step = None
    assert services.verify_second_factor(user, earlier, now=now).user is user


def test_wrong_codes_count_toward_the_same_lockout(client, db, factories):
    client.refresh_csrf("/login")
    for _ in range(3):
        client.post("/login", {"username": "tpe.admin", "password": "bad"})
    _password_step(client, "tpe.admin")  # the right password does not wipe the three failures
    wrong = _other_code(totp_code("tpe.admin"))
    assert _code_step(client, wrong).status_code == 422
    response = _code_step(client, wrong)
    assert response.status_code == 422 and "暫時鎖定" in response.get_data(as_text=True)
    admin = factories.user("tpe.admin")
    assert admin.is_locked()
    assert len(_events(db, AuditAction.LOCKOUT, admin)) == 1
    # locked: neither the password nor a right code gets in now
    assert _password_step(client, "tpe.admin").status_code == 422
    assert client.get("/").status_code == 302


def test_the_pending_state_expires_and_is_spent_by_a_login(app, client, db, factories):
    _password_step(client, "tpe.admin")
    pending_cookie = client.client.get_cookie("sn_session").value
    assert _code_step(client, totp_code("tpe.admin")).status_code == 303
    replay = UserClient(app.test_client(), None)
    replay.client.set_cookie("sn_session", pending_cookie)
    response = replay.get("/login/verify")  # the copy of the pending session is spent
    assert response.status_code == 303 and response.headers["Location"].endswith("/login")
    other = UserClient(app.test_client(), None)
    _password_step(other, "tpe.admin")
    with other.client.session_transaction() as s:
        s["login_pending"] = {**s["login_pending"], "until": 0}
    response = other.get("/login/verify")
    assert response.status_code == 303 and response.headers["Location"].endswith("/login")
    assert "登入逾時" in other.get("/login").get_data(as_text=True)


ADMIN_ROUTES = ["/", "/admin/users", "/admin/audit", "/admin/units", "/intake/figures", "/account/password",
                "/reports", "/meetings", "/campaigns"]


def _enrol(client, page_html):
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', page_html).group(1)
    client.refresh_csrf("/account/totp")
    return secret, client.post("/account/totp", {"code": pyotp.TOTP(secret).now()})


def test_administrator_without_a_second_factor_must_enrol_first(app, db, factories):
    county_admin = factories.make_user(Role.COUNTY_ADMIN, factories.unit("臺北市政府社會局"))
    c = UserClient(app.test_client(), county_admin.username)
    response = _password_step(c, county_admin.username, factories.PASSWORD)
    assert response.status_code == 303 and response.headers["Location"] == "/"  # no code yet: in, but only to enrol
    for url in ADMIN_ROUTES:
        response = c.get(url)
        assert response.status_code == 302 and response.headers["Location"] == "/account/totp", url
    htmx = c.get("/admin/users", headers={"HX-Request": "true"})
    assert htmx.headers.get("HX-Redirect") == "/account/totp"
    c.refresh_csrf("/account/totp")
    assert c.post(f"/admin/users/{factories.user('tpe.sw1').id}/reset-password").headers["Location"] == "/account/totp"
    assert factories.user("tpe.sw1").must_change_password is False  # the POST did nothing
    page = c.get("/account/totp").get_data(as_text=True)
    assert "必須使用兩步驟驗證" in page and "<svg" in page
    assert c.get("/account/totp").get_data(as_text=True).count(
        re.search(r'id="totp-secret">([A-Z2-7]+)<', page).group(1)) == 1  # the same secret on reload
    c.refresh_csrf("/account/totp")
    wrong = c.post("/account/totp", {"code": "000000"})
    assert wrong.status_code == 422 and "驗證碼不正確" in wrong.get_data(as_text=True)
    secret, response = _enrol(c, page)
    assert response.status_code == 303
    db.session.refresh(county_admin)
    assert county_admin.has_totp and county_admin.totp_secret == secret
    assert c.get("/admin/users").status_code == 200
    after = c.get("/account/totp").get_data(as_text=True)
    assert secret not in after and "已啟用" in after  # never shown again
    assert [e.summary for e in _events(db, AuditAction.UPDATE, county_admin) if "兩步驟" in e.summary] == [
        "啟用兩步驟驗證"]


def test_sysadmin_without_a_second_factor_must_enrol_first(app, db, factories):
    admin = factories.make_user(sysadmin=True)
    c = UserClient(app.test_client(), admin.username)
    _password_step(c, admin.username, factories.PASSWORD)
    for url in ("/", "/admin/counties", "/admin/users", "/admin/partners"):
        assert c.get(url).headers["Location"] == "/account/totp", url


def test_staff_may_turn_the_second_factor_on_and_off(app, db, factories):
    c = UserClient(app.test_client(), "tpe.sw1")
    _password_step(c, "tpe.sw1")
    assert c.get("/").status_code == 200  # staff are not forced
    secret, response = _enrol(c, c.get("/account/totp").get_data(as_text=True))
    assert response.status_code == 303
    c.refresh_csrf("/")
    c.post("/logout")
    response = _password_step(c, "tpe.sw1")
    assert response.headers["Location"].endswith("/login/verify")
    assert _code_step(c, totp_code("tpe.sw1")).status_code == 303
    c.refresh_csrf("/account/totp")
    refused = c.post("/account/totp/disable", {"code": "12"})
    assert refused.status_code == 422 and "驗證碼不正確" in refused.get_data(as_text=True)
    assert c.post("/account/totp/disable", {"code": totp_code("tpe.sw1")}).status_code == 303
    user = factories.user("tpe.sw1")
    assert not user.has_totp and user.totp_secret is None
    assert [e.summary for e in _events(db, AuditAction.UPDATE, user) if "兩步驟" in e.summary] == [
        "啟用兩步驟驗證", "停用兩步驟驗證"]


def test_administrators_cannot_turn_it_off(as_user, db, factories):
    admin = as_user("tpe.admin")
    page = admin.get("/account/totp").get_data(as_text=True)
    assert "停用兩步驟驗證" not in page
    with pytest.raises(services.AccountError, match="必須使用兩步驟驗證"):
        services.disable_totp(factories.user("tpe.admin"), totp_code("tpe.admin"))
    response = admin.post("/account/totp/disable", {"code": totp_code("tpe.admin")})
    assert response.status_code == 422 and "必須使用兩步驟驗證" in response.get_data(as_text=True)
    assert factories.user("tpe.admin").has_totp


def test_county_admin_resets_a_users_second_factor(as_user, db, factories):
    sw1 = factories.user("tpe.sw1")
    services.start_totp_enrolment(sw1)
    services.confirm_totp_enrolment(sw1, pyotp.TOTP(sw1.totp_secret).now())
    db.session.commit()
    assert as_user("hua.admin").post(f"/admin/users/{sw1.id}/reset-totp").status_code == 404
    admin = as_user("tpe.admin")
    assert "重設兩步驟驗證" in admin.get(f"/admin/users/{sw1.id}").get_data(as_text=True)
    version = sw1.session_version
    assert admin.post(f"/admin/users/{sw1.id}/reset-totp").status_code == 303
    db.session.refresh(sw1)
    assert not sw1.has_totp and sw1.totp_secret is None and sw1.session_version == version + 1
    reset = [e for e in _events(db, AuditAction.UPDATE, sw1) if "兩步驟" in e.summary]
    assert reset[-1].summary == "管理者重設 tpe.sw1 的兩步驟驗證"
    assert reset[-1].actor_username == "tpe.admin"
    again = admin.post(f"/admin/users/{sw1.id}/reset-totp")
    assert again.status_code == 422 and "尚未設定兩步驟驗證" in again.get_data(as_text=True)


def test_demo_administrators_are_enrolled_with_the_documented_secrets(db, factories):
    from app.accounts.demo import DEMO_TOTP_SECRETS

    for username, secret in DEMO_TOTP_SECRETS.items():
        user = factories.user(username)
        assert user.has_totp and user.totp_secret == secret and user.must_have_totp


def test_totp_code_command_prints_the_code_and_is_refused_in_production(app, db):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["totp-code", "tpe.admin"])
    assert result.exit_code == 0 and re.fullmatch(r"\d{6}\n", result.output)
    assert "未啟用兩步驟驗證" in runner.invoke(args=["totp-code", "tpe.sw1"]).output
    app.config["PRODUCTION"] = True
    try:
        assert "正式環境不提供" in runner.invoke(args=["totp-code", "tpe.admin"]).output
    finally:
        app.config["PRODUCTION"] = False


def test_totp_code_command_explains_a_secret_sealed_under_another_key(app, db):
    """A demo database made under another SECRET_KEY: the command says why, instead of a traceback."""
    runner = app.test_cli_runner()
    saved = app.config["SECRET_KEY"]
    app.config["SECRET_KEY"] = "not-the-key-that-sealed-the-demo"
    db.session.expire_all()
    try:
        result = runner.invoke(args=["totp-code", "tpe.admin"])
    finally:
        app.config["SECRET_KEY"] = saved
        db.session.expire_all()
    assert result.exit_code != 0 and "無法解開此帳號的兩步驟驗證金鑰" in result.output, result.output
