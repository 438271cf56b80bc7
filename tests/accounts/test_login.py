
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
