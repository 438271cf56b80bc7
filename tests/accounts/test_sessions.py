"""Session fixation and old cookies: the session is a signed cookie, so what matters is that a
cookie from before a login, from the password step or from before a logout does not act as
anyone afterwards."""
from __future__ import annotations

from tests.support import UserClient, totp_code

COOKIE = "sn_session"


def _cookie(client: UserClient) -> str:
    return client.client.get_cookie(COOKIE).value


def _sid(client: UserClient):
    with client.client.session_transaction() as s:
        return s.get("sid")


def _with_cookie(app, value: str) -> UserClient:
    other = UserClient(app.test_client(), None)
    other.client.set_cookie(COOKIE, value)
    return other


def _login(client, username="tpe.sw1"):
    client.refresh_csrf("/login")
    return client.post("/login", {"username": username, "password": "demo1234"})


def test_a_cookie_from_before_login_is_not_logged_in_after(app, client, db):
    client.refresh_csrf("/login")
    with client.client.session_transaction() as s:
        s["sid"] = "planted-by-attacker"
    before = _cookie(client)
    assert _login(client).status_code == 303
    assert _sid(client) not in (None, "planted-by-attacker")
    assert _cookie(client) != before
    assert client.get("/").status_code == 200
    assert _with_cookie(app, before).get("/").status_code == 302  # the old cookie is still anonymous


def test_after_logout_a_copy_of_the_session_cookie_does_nothing(app, client, db):
    _login(client)
    stolen = _cookie(client)
    assert _with_cookie(app, stolen).get("/").status_code == 200  # a copy works while logged in...
    client.refresh_csrf("/")
    assert client.post("/logout").status_code == 303
    replay = _with_cookie(app, stolen)
    response = replay.get("/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]  # ...not after logout
    assert replay.get("/cases/inbox").status_code == 302


def test_the_second_step_rotates_the_session_again(app, client, db):
    client.refresh_csrf("/login")
    anonymous = _cookie(client)
    response = _login(client, "tpe.admin")
    assert response.headers["Location"].endswith("/login/verify")
    pending, pending_sid = _cookie(client), _sid(client)
    assert pending != anonymous and pending_sid
    # the anonymous cookie cannot take the second step: it has no pending login
    stranger = _with_cookie(app, anonymous)
    assert stranger.get("/login/verify").headers["Location"].endswith("/login")
    client.refresh_csrf("/login/verify")
    assert client.post("/login/verify", {"code": totp_code("tpe.admin")}).status_code == 303
    assert _sid(client) not in (None, pending_sid)
    with client.client.session_transaction() as s:
        assert "login_pending" not in s
    assert client.get("/").status_code == 200
    for old in (anonymous, pending):
        assert _with_cookie(app, old).get("/").status_code == 302
