"""Guessing IDs gains nothing.

Record IDs in URLs are database sequences (a family case is /cases/1234), so they
are guessable by design; what must hold instead is that a guess teaches nothing.
For every route of the access matrix that names a county's record, a person of
another county, a unit not on the record, a partner and the ministry get the same
answer for a record that exists and for one that never did: the same status and
the same page, byte for byte once the per-session CSRF token is masked. The
public status lookup needs the report's own code besides its 通報編號, and a wrong
code answers exactly as a number that does not exist.
"""
from __future__ import annotations

import re

import pytest

from tests.access import PERSONAS, ROUTES, _expected, requests_for, resolvers

NEVER = 987_654_321  # an ID no test database reaches
TOKEN = re.compile(r'(name="csrf_token" value=|"X-CSRFToken": ?|content=)"[^"]*"')

# personas who must learn nothing of 臺北市's records
OUTSIDERS = ("hua_worker", "hua_supervisor", "hua_dispatcher", "hua_admin", "partner", "ministry",
             "tpe_unit_not_on_case")


def _masked(response) -> tuple[int, str]:
    return response.status_code, TOKEN.sub("TOKEN", response.get_data(as_text=True))


def _object_requests(app, values):
    """(endpoint, method, url of the real record, url of a record that never existed)."""
    real = requests_for(app, values)
    fake_values = {k: (NEVER if isinstance(v, int) and k.startswith("tpe_") else v) for k, v in values.items()}
    fake = {(e, m): u for e, m, u, _ in requests_for(app, fake_values)}
    return [(e, m, u, fake[(e, m)], route) for e, m, u, route in real
            if route.county_object and u != fake[(e, m)]]


@pytest.mark.parametrize("persona", OUTSIDERS)
def test_a_real_record_and_a_missing_one_answer_alike(persona, app, as_user, factories, taipei_objects):
    username, tokens, other = PERSONAS[persona]
    person = as_user(username)
    pairs = [p for p in _object_requests(app, resolvers(factories, taipei_objects))
             if _expected(username, tokens, other, p[-1]) == "not_found"]  # the ministry may open a submitted report
    assert len(pairs) >= 60  # every object route of the matrix (the count grows with the app)
    differences = []
    for endpoint, method, real_url, fake_url, _ in pairs:
        send = person.get if method == "GET" else (lambda url: person.post(url, {}))
        real, fake = _masked(send(real_url)), _masked(send(fake_url))
        if real[0] != 404:
            differences.append(f"{method} {real_url} ({endpoint}): {real[0]}, not 404")
        elif real != fake:
            differences.append(f"{method} {real_url} ({endpoint}): the answer differs from a missing record's")
    assert not differences, "\n".join(differences)


def test_every_record_route_is_compared(app, factories, taipei_objects):
    """Each route naming a 臺北市 record is among the compared ones (none silently skipped)."""
    compared = {e for e, *_ in _object_requests(app, resolvers(factories, taipei_objects))}
    named = {e for e, r in ROUTES.items() if r.county_object}
    assert named <= compared, sorted(named - compared)


def test_public_status_needs_the_reports_own_code(client, db, factories):
    from app.core import tenancy
    from app.intake import services
    from app.intake.reference import ReportingChannel

    taipei = factories.county("臺北市")
    with tenancy.tenant_scope(taipei.id):
        report, receipt = services.receive(taipei, services.ReportInput(
            district_id=taipei.districts[0].id, concerns=["vulnerable_family"], narrative="猜測測試",
            persons=[services.PersonInput(name="甲")]), ReportingChannel("35"))
        number, code = report.report_no, receipt
        db.session.commit()
    right = client.post("/report/status", {"report_no": number, "code": code})
    assert right.status_code == 200 and "猜測測試" not in right.get_data(as_text=True)
    wrong_code = client.post("/report/status", {"report_no": number, "code": "AAAAAAAA"})
    other = number[:-1] + ("9" if number[-1] != "9" else "8")
    no_such = client.post("/report/status", {"report_no": other, "code": "AAAAAAAA"})
    assert wrong_code.status_code == no_such.status_code == 422
    # the typed number stays in the form; otherwise the two pages are the same
    assert _masked(wrong_code)[1].replace(number, "N") == _masked(no_such)[1].replace(other, "N")


@pytest.mark.parametrize("huge", [2**31, 2**63, 10**30])
def test_ids_beyond_the_columns_range_are_404(huge, app, as_user, factories, taipei_objects):
    """An ID larger than the database's integer (PostgreSQL: out of range) is a missing record, not a 500."""
    person = as_user("tpe.admin")
    values = {k: (huge if isinstance(v, int) and k.startswith("tpe_") else v)
              for k, v in resolvers(factories, taipei_objects).items()}
    wrong = []
    for endpoint, method, url, route in requests_for(app, values):
        if not route.county_object:
            continue
        response = person.get(url) if method == "GET" else person.post(url, {})
        if response.status_code != 404:
            wrong.append(f"{method} {url} ({endpoint}): {response.status_code}")
    assert not wrong, "\n".join(wrong)
