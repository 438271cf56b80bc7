"""POST /api/v1/reports: tokens, validation, idempotency, and the OpenAPI document (schemathesis)."""
import json

import pytest
import schemathesis
import sqlalchemy as sa
from hypothesis import HealthCheck, settings

from app.core import tenancy
from app.intake.models import ApiToken, Report
from app.intake.reference import ReportingChannel
from app.intake.views import hash_token

TOKEN = "snk_testtest_secret-value-for-tests-only"


@pytest.fixture
def token(db, factories):
    taipei = factories.county("臺北市")
    with tenancy.tenant_scope(taipei.id):
        record = ApiToken(organisation="臺大醫院", channel=ReportingChannel("16"), token_prefix="testtest",
                          token_hash=hash_token(TOKEN))
        db.session.add(record)
        db.session.commit()
    return record


def payload(**overrides):
    body = {
        "district": "大安區", "concerns": ["ipv"], "narrative": "急診就醫，疑遭同居人推撞。",
        "persons": [{"name": "張雅琪", "sex": "F", "birth_date": "1985-01-20", "relation": "subject",
                     "id_number": "A223456781"}],
        "reporter": {"reporter_type": "mandated", "name": "吳護理師", "profession": "medical", "organisation": "臺大醫院"},
        "tipvda_answers": [True] * 8 + [False] * 7,
    }
    body.update(overrides)
    return body


def post(client, body, key=None, token_value=TOKEN, raw=None):
    headers = {"Authorization": f"Bearer {token_value}", "Content-Type": "application/json"}
    if key:
        headers["Idempotency-Key"] = key
    data = raw if raw is not None else json.dumps(body, ensure_ascii=False)
    return client.client.post("/api/v1/reports", data=data, headers=headers)


def test_creates_a_report_in_the_tokens_county(client, token, db, factories):
    response = post(client, payload())
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["status"] == "待篩案" and len(body["report_no"]) == 12
    with tenancy.tenant_scope(factories.county("臺北市").id):
        report = db.session.scalars(sa.select(Report).where(Report.report_no == body["report_no"])).one()
        assert report.tipvda_score == 8 and report.deadline_kind.value == "24h"  # high danger: 24 hours
        assert report.source_name == "臺大醫院" and report.channel.value == "16"
        assert report.reporter.organisation == "臺大醫院"


def test_same_idempotency_key_creates_nothing_new(client, token, db):
    first = post(client, payload(), key="abc-1")
    again = post(client, payload(), key="abc-1")
    assert first.status_code == 201 and again.status_code == 200
    assert again.headers["Idempotent-Replayed"] == "true"
    assert first.get_json()["report_no"] == again.get_json()["report_no"]
    conflict = post(client, payload(narrative="不同內容"), key="abc-1")
    assert conflict.status_code == 422 and conflict.get_json()["error"] == "idempotency_conflict"
    with tenancy.all_tenants("test"):
        assert db.session.scalar(sa.select(sa.func.count(Report.id))) == 1


def test_field_level_errors(client, token):
    response = post(client, payload(concerns=["nonsense"], persons=[{"id_number": "A123456788", "birth_date": "2999-01-01"}],
                                    narrative="", extra_field=1))
    assert response.status_code == 422
    fields = response.get_json()["fields"]
    assert "concerns.0" in fields and "narrative" in fields and "extra_field" in fields
    assert any("檢查碼" in m for m in fields["persons.0.id_number"])
    assert any("1900" in m for m in fields["persons.0.birth_date"])


def test_ipv_needs_tipvda_and_district_must_be_in_the_county(client, token):
    assert "TIPVDA" in post(client, payload(tipvda_answers=None)).get_json()["fields"]["body"][0]
    response = post(client, payload(district="吉安鄉"))
    assert response.status_code == 422 and "臺北市沒有" in response.get_json()["fields"]["district"][0]


def test_malformed_json_wrong_types_and_oversized(client, token):
    assert post(client, None, raw="{not json").status_code == 400
    assert post(client, None, raw="[]").status_code == 422
    assert post(client, payload(urgent="yes please", persons="nobody")).status_code == 422
    assert post(client, payload(narrative="長" * 5001)).status_code == 422
    assert post(client, None, raw='{"narrative": "' + "x" * 300_000 + '"}').status_code == 413


def test_missing_wrong_and_revoked_tokens(client, token, db, factories):
    assert post(client, payload(), token_value="").status_code == 401
    assert post(client, payload(), token_value="snk_nope_nope").status_code == 401
    with tenancy.tenant_scope(factories.county("臺北市").id):
        from app.core.models import utcnow

        db.session.get(ApiToken, token.id).revoked_at = utcnow()
        db.session.commit()
    response = post(client, payload())
    assert response.status_code == 401 and "撤銷" in response.get_json()["message"]


def test_county_admin_issues_and_revokes_a_token(as_user, db, client):
    admin = as_user("tpe.admin")
    page = admin.post("/intake/settings/api-tokens", {"organisation": "學校通報系統", "channel": "15"})
    import re

    issued = re.search(r'id="new-token">([^<]+)<', page.get_data(as_text=True)).group(1)
    assert post(client, payload(), token_value=issued).status_code == 201
    with tenancy.all_tenants("test"):
        record = db.session.scalars(sa.select(ApiToken).where(ApiToken.organisation == "學校通報系統")).one()
        assert record.token_hash != issued and issued not in str(record.__dict__)
    assert admin.post(f"/intake/settings/api-tokens/{record.id}/revoke").status_code == 303
    assert post(client, payload(), token_value=issued).status_code == 401


def test_openapi_document_describes_the_endpoint(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    assert doc["openapi"].startswith("3.")
    operation = doc["paths"]["/reports"]["post"]
    assert {"201", "401", "422"} <= set(operation["responses"])
    assert "ReportIn" in doc["components"]["schemas"]


def get_status(client, report_no, token_value=TOKEN):
    return client.client.get(f"/api/v1/reports/{report_no}", headers={"Authorization": f"Bearer {token_value}"})


def _issue(db, county, organisation, value):
    with tenancy.tenant_scope(county.id):
        db.session.add(ApiToken(organisation=organisation, channel=ReportingChannel("16"), token_prefix=value[4:12],
                                token_hash=hash_token(value)))
        db.session.commit()


def test_the_sending_system_follows_its_report_and_learns_nothing_about_the_family(client, token, db, factories):
    from app.intake import services
    from app.intake.models import InvalidReason

    report_no = post(client, payload()).get_json()["report_no"]
    first = get_status(client, report_no)
    assert first.status_code == 200
    assert first.get_json() == {"report_no": report_no, "state": "received", "status": "已受理"}
    taipei = factories.county("臺北市")
    with tenancy.tenant_scope(taipei.id):
        report = db.session.scalars(sa.select(Report).where(Report.report_no == report_no)).one()
        dispatcher = factories.user("tpe.dispatch")
        services.claim(report, dispatcher)
        db.session.commit()
    assert get_status(client, report_no).get_json()["state"] == "processing"
    with tenancy.tenant_scope(taipei.id):
        report = db.session.scalars(sa.select(Report).where(Report.report_no == report_no)).one()
        services.screen_out(report, factories.user("tpe.dispatch"), InvalidReason.DATA_ERROR, note="資料不全")
        db.session.commit()
    body = get_status(client, report_no).get_json()
    assert body == {"report_no": report_no, "state": "not_accepted", "status": "不受理"}
    # the same organisation's new key (rotation) still follows it
    _issue(db, taipei, "臺大醫院", "snk_rotated1_another-secret-for-tests")
    assert get_status(client, report_no, "snk_rotated1_another-secret-for-tests").status_code == 200


def test_a_report_the_organisation_did_not_send_answers_like_one_that_does_not_exist(client, token, db, factories):
    report_no = post(client, payload()).get_json()["report_no"]
    _issue(db, factories.county("臺北市"), "馬偕醫院", "snk_mackay01_another-secret-for-tests")
    _issue(db, factories.county("花蓮縣"), "臺大醫院", "snk_hualien1_another-secret-for-tests")
    never = get_status(client, "999999999999")
    assert never.status_code == 404 and never.get_json()["error"] == "not_found"
    for other in ("snk_mackay01_another-secret-for-tests", "snk_hualien1_another-secret-for-tests"):
        refused = get_status(client, report_no, other)
        assert (refused.status_code, refused.get_data()) == (never.status_code, never.get_data()), other
    # a report from the public form or the hotline has no sender to answer to
    from app.intake import services

    taipei = factories.county("臺北市")
    district = next(d for d in taipei.districts if d.name == "大安區")
    with tenancy.tenant_scope(taipei.id):
        hotline, _code = services.receive(taipei, services.ReportInput(
            district_id=district.id, concerns=["vulnerable_family"], narrative="專線通報", source_name="臺大醫院",
            persons=[services.PersonInput(name="李小華", relation="subject")]), ReportingChannel("36"))
        db.session.commit()
        hotline_no = hotline.report_no
    assert get_status(client, hotline_no).get_data() == never.get_data()
    assert get_status(client, report_no, token_value="snk_nope_nope").status_code == 401
    assert get_status(client, "1" * 300).get_data() == never.get_data()


def test_unknown_api_addresses_answer_in_json(client):
    for url, status in [("/api/v1/nowhere", 404), ("/api/v1/reports/a/b", 404)]:
        response = client.client.get(url)
        assert response.status_code == status and response.is_json, url
        assert response.get_json()["error"] == "not_found" and "不存在" in response.get_json()["message"]
    wrong_method = client.client.delete("/api/v1/reports")
    assert wrong_method.status_code == 405 and wrong_method.get_json()["error"] == "method_not_allowed"


OPERATIONS = [("/reports", "POST"), ("/reports/{report_no}", "GET")]


@pytest.mark.parametrize("path, method", OPERATIONS, ids=[f"{m} {p}" for p, m in OPERATIONS])
@pytest.mark.parametrize("mode", ["positive", "negative"])
def test_schemathesis_finds_no_failures(app, token, mode, path, method):
    """Generated requests, valid and invalid, against the published document:
    never a 5xx, always a documented status, a matching content type and body,
    and invalid data always refused. (Schemathesis's pytest plugin is not yet
    compatible with this pytest, so its strategies are driven by Hypothesis here.)"""
    from hypothesis import given
    from schemathesis import GenerationMode
    from schemathesis.specs.openapi.checks import positive_data_acceptance

    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    assert sorted((p, m.upper()) for p, ops in schema.raw_schema["paths"].items() for m in ops) == sorted(OPERATIONS)
    operation = schema[path][method]
    strategy = operation.as_strategy(GenerationMode(mode), headers={"Authorization": f"Bearer {TOKEN}"})

    @given(case=strategy)
    @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def check(case):
        # Schema-valid data can still be refused for reasons no schema can say
        # (an ID's check digit, a district of another county): that one check is off.
        case.call_and_validate(excluded_checks=[positive_data_acceptance])

    check()


def test_api_is_rate_limited_per_token_in_chinese(app, client, token, db):
    from app.extensions import limiter

    saved = app.config["API_RATE"]
    app.config["API_RATE"] = "2 per minute"
    limiter.reset()
    try:
        assert [post(client, payload()).status_code for _ in range(2)] == [201, 201]
        limited = post(client, payload())
        assert limited.status_code == 429
        assert limited.get_json() == {"error": "rate_limited", "message": "請求過於頻繁，請稍後再試。"}
        # per token: another organisation's token is not held up by this one's burst
        assert post(client, payload(), token_value="snk_other_not-a-token").status_code == 401
    finally:
        app.config["API_RATE"] = saved
        limiter.reset()
