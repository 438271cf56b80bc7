"""CSRF on every POST route of the URL map: without a token, or with another session's token, the
answer is 400 with a Chinese message and nothing changes. The report API is exempt (a bearer
token, no cookies); htmx posts carry the token in the X-CSRFToken header the layout sets."""
from __future__ import annotations

import re

import sqlalchemy as sa

from app.core import tenancy
from app.extensions import db as _db
from tests.access import requests_for, resolvers

# Token-authenticated, documented as exempt (csrf.exempt in app/intake/api.py and app/exchange/api.py).
EXEMPT = {"api.create_report", "fhir.create_report", "fhir.send_status"}


def _post_routes(app, factories, objects):
    return [(endpoint, url) for endpoint, method, url, _ in requests_for(app, resolvers(factories, objects))
            if method == "POST" and endpoint not in EXEMPT]


def _row_counts():
    with tenancy.all_tenants("test: nothing changed anywhere"):
        return {t.name: _db.session.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
                for t in _db.metadata.sorted_tables}


def _assert_refused(response, label):
    assert response.status_code == 400, f"{label}: {response.status_code}"
    body = response.get_data(as_text=True)
    assert "表單已過期" in body and "請重新整理頁面後再送出" in body, label


def test_every_post_route_refuses_a_missing_or_foreign_token(app, as_user, factories, db, taipei_objects):  # noqa: F811
    admin = as_user("tpe.admin")  # logged in and allowed on many of them: only the token stops the post
    foreign = as_user("tpe.sw1").csrf  # a valid token, of another session
    routes = _post_routes(app, factories, taipei_objects)
    every_post_rule = [r for r in app.url_map.iter_rules() if "POST" in r.methods and r.endpoint not in EXEMPT]
    assert len(routes) == len(every_post_rule) > 90  # the whole map (94 POST routes at step 9), not a sample
    before = _row_counts()
    for endpoint, url in routes:
        _assert_refused(admin.post(url, {}, csrf=False), f"{endpoint} without a token")
        _assert_refused(admin.post(url, {"csrf_token": foreign}), f"{endpoint} with another session's token")
        _assert_refused(admin.post(url, {}, csrf=False, headers={"X-CSRFToken": foreign}),
                        f"{endpoint} with another session's token in the header")
    assert _row_counts() == before
    assert admin.get("/").status_code == 200  # still logged in: the refusals ended nothing


def test_anonymous_posts_need_a_token_too(app, client, factories, db, taipei_objects):  # noqa: F811
    for endpoint, url in _post_routes(app, factories, taipei_objects):
        if endpoint.startswith(("public.", "accounts.login")):
            _assert_refused(client.post(url, {}, csrf=False), endpoint)


def test_the_layout_gives_htmx_the_token_and_htmx_posts_pass(as_user, db, factories):
    sw2 = as_user("tpe.sw2")
    page = sw2.get("/").get_data(as_text=True)
    token = re.search(r'<body[^>]* hx-headers=\'\{"X-CSRFToken": "([^"]+)"\}\'', page).group(1)
    other = next(m for m in factories.user("tpe.sw2").memberships if "萬華" in m.unit.name)
    response = sw2.post("/session/unit", {"membership_id": other.id}, csrf=False,
                        headers={"HX-Request": "true", "X-CSRFToken": token})
    assert response.status_code in (200, 204, 303)
    assert "萬華" in sw2.get("/").get_data(as_text=True)


def test_the_report_api_is_exempt_it_reads_no_cookie(client, db):
    """No CSRF token and no session: the API answers for itself (401 for a bad bearer token), not the
    CSRF 400 — it authenticates by the Authorization header, which a forged cross-site form cannot set."""
    response = client.post("/api/v1/reports", csrf=False, headers={"Authorization": "Bearer nope"})
    assert response.status_code == 401
    assert response.get_json()["error"] == "unauthorized"
