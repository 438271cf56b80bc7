"""The FHIR exchange (TWSS Base IG): the Bundle export, report intake as a ServiceRequest, the 列管 status
endpoint, the bad-input cases (each a 4xx OperationOutcome in Chinese that changes nothing), the call log,
the CapabilityStatement and schemathesis over the OpenAPI document."""
from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
import schemathesis
import sqlalchemy as sa
from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.capabilitystatement import CapabilityStatement
from hypothesis import HealthCheck, settings

from app.audit.models import AuditAction, AuditEvent
from app.cases import services as cases
from app.cases.models import CaseContact, ServicePlan
from app.cases.reference import ContactMethod
from app.core import tenancy
from app.core.models import utcnow
from app.exchange import services, twss
from app.exchange.inbound import CONCERN_SYSTEM, REGISTER_SYSTEM
from app.exchange.models import ExchangeCall, SystemKind
from app.household.models import ExternalStatus
from app.intake import services as intake
from app.intake.models import Report
from app.referrals import services as referrals
from app.referrals.models import ReferralKind, ReferralStatus


@pytest.fixture
def clients(db, factories):
    """臺北市's systems: one with every scope, one reading only; 花蓮縣's with every scope."""
    made = {}
    for key, county, scopes in (("all", "臺北市", ["case.read", "report.write", "status.write"]),
                                ("read", "臺北市", ["case.read"]), ("hua", "花蓮縣", ["case.read", "report.write", "status.write"])):
        with tenancy.tenant_scope(factories.county(county).id):
            client, token = services.issue_client(f"測試系統{key}", SystemKind.MENTAL_HEALTH, scopes, None)
            made[key] = {"Authorization": f"Bearer {token}", "id": client.id}
    db.session.commit()
    return made


def _headers(c):
    return {"Authorization": c["Authorization"], "Content-Type": "application/fhir+json"}


@pytest.fixture
def family(db, factories):
    """A 臺北市 case with a contact, a plan, a vulnerability level and a referral the family consented to,
    accepted by its receiver."""
    taipei = factories.county("臺北市")
    centre = factories.unit("臺北市中正社會福利服務中心")
    sw1 = factories.user("tpe.sw1")
    membership = next(m for m in sw1.memberships if m.unit_id == centre.id)
    with tenancy.tenant_scope(taipei.id):
        case = factories.FamilyCaseFactory(lead=centre, persons=[
            intake.PersonInput("王小明", "M", date(2016, 1, 1), relation="child", id_number="A123456789"),
            intake.PersonInput("王媽媽", "F", date(1988, 2, 2), relation="mother")])
        cases.assign(case, factories.user("tpe.sup"), next(m for m in factories.user("tpe.sup").memberships
                                                             if m.unit_id == centre.id), sw1)
        child = next(m for m in case.members if m.is_child)
        db.session.add(CaseContact(tenant_id=taipei.id, case_id=case.id, contacted_at=utcnow() - timedelta(days=1),
                                   method=ContactMethod.HOME_VISIT, duration_minutes=45, persons_seen=[child.id],
                                   child_seen=True, note="家訪"))
        db.session.add(ServicePlan(tenant_id=taipei.id, case_id=case.id, goals="穩定就學", agreed_by="案母",
                                   agreed_on=date(2026, 11, 1), review_due=date(2027, 2, 1)))
        table = cases.factor_table_in_force()
        cases.assess_vulnerability(case, sw1, membership, dimensions=["economic"], factor_ids=[table.factors[0].id])
        referral = referrals.send(case, sw1, membership, kind=ReferralKind.UNIT, reason="需家暴中心評估",
                                  services_requested="安全評估", sections=["members"],
                                  to_unit=factories.unit("臺北市家庭暴力暨性侵害防治中心"), consent=True,
                                  consent_by="王媽媽")
        referral.status, referral.responded_at = ReferralStatus.IN_SERVICE, utcnow()
        db.session.flush()
        case_id = case.id
    db.session.commit()
    return case_id


def test_a_case_exports_as_a_bundle_in_the_igs_profiles(client, clients, family):
    response = client.client.get(f"/fhir/r4/EpisodeOfCare/{family}/$everything", headers=_headers(clients["all"]))
    assert response.status_code == 200 and response.mimetype == "application/fhir+json"
    body = response.get_json()
    Bundle.model_validate(body)  # valid R4 (fhir.resources' R4B models)
    kinds = [e["resource"]["resourceType"] for e in body["entry"]]
    for kind in ("EpisodeOfCare", "Patient", "RelatedPerson", "ServiceRequest", "Encounter", "CarePlan", "Task",
                 "Consent", "Observation", "Organization"):
        assert kind in kinds, kind
    profiled = 0
    for entry in body["entry"]:  # EVERY resource: valid on its own, and the IG's rules of the profile it claims
        resource = entry["resource"]
        get_fhir_model_class(resource["resourceType"]).model_validate(resource)
        assert twss.problems(resource) == [], (resource["resourceType"], twss.problems(resource))
        profiles = (resource.get("meta") or {}).get("profile") or []
        if resource["resourceType"] not in ("Consent", "Observation"):  # the IG has no profile for these
            assert profiles and all(p in twss.RULES for p in profiles), resource["resourceType"]
            profiled += 1
    assert profiled == len(kinds) - 2
    episode = body["entry"][0]["resource"]
    assert episode["status"] == "planned" and episode["identifier"][0]["system"] == twss.CASE_NUMBER_SYSTEM
    tasks = {e["resource"]["meta"]["profile"][0] for e in body["entry"] if e["resource"]["resourceType"] == "Task"}
    assert tasks == {twss.REFERRAL_ACCEPTANCE, twss.REFERRAL_HANDLING}
    patient = next(e["resource"] for e in body["entry"] if e["resource"]["resourceType"] == "Patient")
    assert patient["identifier"][0] == {**patient["identifier"][0], "system": "http://www.moi.gov.tw", "value": "A123456789"}


def test_every_call_is_logged_and_an_export_is_an_audited_read(client, clients, family, db, factories):
    client.client.get(f"/fhir/r4/EpisodeOfCare/{family}/$everything", headers=_headers(clients["all"]))
    client.client.get("/fhir/r4/EpisodeOfCare/999999/$everything", headers=_headers(clients["all"]))
    with tenancy.tenant_scope(factories.county("臺北市").id):
        calls = db.session.scalars(sa.select(ExchangeCall).order_by(ExchangeCall.id)).all()
        assert [(c.client_id, c.operation, c.target, c.status_code) for c in calls] == [
            (clients["all"]["id"], "EpisodeOfCare/$everything", f"EpisodeOfCare/{family}", 200),
            (clients["all"]["id"], "EpisodeOfCare/$everything", "EpisodeOfCare/999999", 404)]
        assert "筆資源" in calls[0].outcome and "查無" in calls[1].outcome
        [read] = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == AuditAction.READ,
                                                                AuditEvent.record_type == "family_cases")).all()
        assert read.record_id == str(family) and read.actor_username == "fhir:測試系統all"


def test_export_is_the_clients_county_only_and_needs_the_scope(client, clients, family, db, factories):
    other = client.client.get(f"/fhir/r4/EpisodeOfCare/{family}/$everything", headers=_headers(clients["hua"]))
    assert other.status_code == 404 and other.get_json()["resourceType"] == "OperationOutcome"
    assert "不屬於本縣市" in other.get_json()["issue"][0]["diagnostics"]
    bad = client.client.get(f"/fhir/r4/EpisodeOfCare/{family}/$everything",
                            headers={"Authorization": "Bearer snk_nope"})
    assert bad.status_code == 401 and "金鑰無效" in bad.get_json()["issue"][0]["diagnostics"]
    with tenancy.all_tenants("test"):
        assert db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == AuditAction.LOGIN_FAILED,
                                                              AuditEvent.actor_username == "fhir:unknown")).first()
        reads = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == AuditAction.READ,
                                                               AuditEvent.record_type == "family_cases")).all()
        assert reads == []  # no export happened


def case_report(**overrides) -> dict:
    body = {
        "resourceType": "ServiceRequest", "meta": {"profile": [twss.CASE_REPORT]},
        "identifier": [{"system": "https://health.example/report", "value": "H-1"}],
        "status": "active", "intent": "order", "priority": "routine",
        "category": [{"coding": [twss.NOTIFICATIONS]}], "code": {"coding": [twss.ASSESSMENT_OF_NEEDS]},
        "subject": {"reference": "#p1"}, "authoredOn": "2026-12-01T09:00:00+08:00",
        "reasonCode": [{"coding": [{"system": CONCERN_SYSTEM, "code": "vulnerable_family"}]}],
        "note": [{"text": "個案出院後無人照顧，家中有學齡兒童。"}],
        "extension": [{"url": twss.EXT_REPORTING_UNIT, "valueCodeableConcept": {"coding": [
            {"system": twss.cs("TWSSReportingUnit"), "code": "17"}]}}],
        "contained": [
            {"resourceType": "Patient", "id": "p1", "name": [{"text": "趙大明"}], "gender": "male",
             "birthDate": "1980-05-05", "address": [{"city": "臺北市", "district": "大安區", "text": "臺北市大安區某路1號"}]},
            {"resourceType": "RelatedPerson", "id": "r1", "patient": {"reference": "#p1"}, "name": [{"text": "趙小華"}],
             "birthDate": "2017-03-03", "relationship": [{"coding": [
                 {"system": "http://terminology.hl7.org/CodeSystem/v3-RoleCode", "code": "CHILD"}]}]}],
    }
    body.update(overrides)
    return body


def _post(client, path, body, c, key=None):
    headers = _headers(c)
    if key:
        headers["Idempotency-Key"] = key
    return client.client.post(path, data=json.dumps(body, ensure_ascii=False), headers=headers)


def _reports(db, factories):
    with tenancy.tenant_scope(factories.county("臺北市").id):
        return db.session.scalars(sa.select(Report).where(Report.source_name.like("測試系統%"))).all()


def test_a_report_arrives_as_a_service_request(client, clients, db, factories):
    response = _post(client, "/fhir/r4/ServiceRequest", case_report(), clients["all"], key="k1")
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    report_no = body["id"]
    assert body["identifier"][0]["value"] == report_no and len(report_no) == 12
    [report] = _reports(db, factories)
    assert report.report_no == report_no and report.channel.value == "17" and report.concerns == ["vulnerable_family"]
    assert {p.name for p in report.persons} == {"趙大明", "趙小華"}
    again = _post(client, "/fhir/r4/ServiceRequest", case_report(), clients["all"], key="k1")
    assert again.status_code == 200 and again.headers["Idempotent-Replayed"] == "true" and again.get_json()["id"] == report_no
    assert len(_reports(db, factories)) == 1


BAD_REPORTS = {
    "not R4": case_report(status=12, foo="bar"),
    "code outside the IG's code system": case_report(extension=[{"url": twss.EXT_REPORTING_UNIT, "valueCodeableConcept": {
        "coding": [{"system": twss.cs("TWSSReportingUnit"), "code": "999"}]}}]),
    "IG fixed code": case_report(category=[{"coding": [twss.REFERRAL_TO_SERVICE]}]),
    "another county's person": case_report(contained=[{"resourceType": "Patient", "id": "p1", "name": [{"text": "錢多多"}],
                                                      "address": [{"city": "花蓮縣", "district": "花蓮市"}]}]),
    "no reason": case_report(reasonCode=[]),
}


@pytest.mark.parametrize("name", list(BAD_REPORTS))
def test_bad_reports_are_refused_in_chinese_and_change_nothing(client, clients, db, factories, name):
    response = _post(client, "/fhir/r4/ServiceRequest", BAD_REPORTS[name], clients["all"])
    assert 400 <= response.status_code < 500, response.get_json()
    body = response.get_json()
    assert body["resourceType"] == "OperationOutcome" and body["issue"][0]["severity"] == "error"
    assert any("\u4e00" <= ch <= "\u9fff" for ch in body["issue"][0]["diagnostics"])
    assert _reports(db, factories) == []
    with tenancy.tenant_scope(factories.county("臺北市").id):
        call = db.session.scalars(sa.select(ExchangeCall).order_by(ExchangeCall.id.desc())).first()
        assert call.status_code == response.status_code and call.client_id == clients["all"]["id"]


def test_no_scope_is_403_and_changes_nothing(client, clients, db, factories):
    response = _post(client, "/fhir/r4/ServiceRequest", case_report(), clients["read"])
    assert response.status_code == 403 and "report.write" in response.get_json()["issue"][0]["diagnostics"]
    flag = _post(client, "/fhir/r4/Flag", status_flag(), clients["read"])
    assert flag.status_code == 403 and "未獲授權" in flag.get_json()["issue"][0]["diagnostics"]
    assert _reports(db, factories) == []
    with tenancy.tenant_scope(factories.county("臺北市").id):
        assert db.session.scalars(sa.select(ExternalStatus)).all() == []
        assert [c.status_code for c in db.session.scalars(sa.select(ExchangeCall).order_by(ExchangeCall.id))] == [403, 403]


def status_flag(**overrides) -> dict:
    body = {
        "resourceType": "Flag", "identifier": [{"system": "https://health.example/mh", "value": "MH-7"}],
        "status": "active", "code": {"coding": [{"system": REGISTER_SYSTEM, "code": "mental_health"}]},
        "subject": {"reference": "#p1"}, "period": {"start": "2026-10-01"},
        "contained": [{"resourceType": "Patient", "id": "p1", "name": [{"text": "王媽媽"}], "birthDate": "1988-02-02",
                       "identifier": [{"system": "http://www.moi.gov.tw", "value": "A223456781"}],
                       "address": [{"city": "臺北市"}]}],
    }
    body.update(overrides)
    return body


def test_a_status_is_recorded_and_withdrawn(client, clients, db, factories):
    sent = _post(client, "/fhir/r4/Flag", status_flag(), clients["all"])
    assert sent.status_code == 201, sent.get_json()
    with tenancy.tenant_scope(factories.county("臺北市").id):
        row = db.session.scalars(sa.select(ExternalStatus)).one()
        assert (row.source, row.source_ref, row.status, row.id_number, row.since) == (
            "mental_health", "MH-7", "mental_health", "A223456781", date(2026, 10, 1))
        assert row.status_label == "精神照護列管" and row.client_id == clients["all"]["id"] and row.active
    withdrawn = _post(client, "/fhir/r4/Flag", status_flag(status="inactive"), clients["all"])
    assert withdrawn.status_code == 200
    with tenancy.tenant_scope(factories.county("臺北市").id):
        assert not db.session.scalars(sa.select(ExternalStatus)).one().active
    unknown = _post(client, "/fhir/r4/Flag", status_flag(status="inactive", identifier=[{"value": "nope"}]),
                    clients["all"])
    assert unknown.status_code == 404 and "查無" in unknown.get_json()["issue"][0]["diagnostics"]


BAD_FLAGS = {
    "not R4": status_flag(subject="王媽媽"),
    "code outside the code system": status_flag(code={"coding": [{"system": REGISTER_SYSTEM, "code": "gambling"}]}),
    "code of an IG code system it does not hold": status_flag(category=[{"coding": [
        {"system": twss.cs("TWSSCaseSource"), "code": "Q"}]}]),
    "another county's person": status_flag(contained=[{"resourceType": "Patient", "id": "p1", "name": [{"text": "王媽媽"}],
                                                      "birthDate": "1988-02-02", "address": [{"district": "1001500000"}]}]),
    "no way to match the person": status_flag(contained=[{"resourceType": "Patient", "id": "p1", "name": [{"text": "某人"}]}]),
    "bad ID": status_flag(contained=[{"resourceType": "Patient", "id": "p1", "identifier": [
        {"system": "http://www.moi.gov.tw", "value": "A123456780"}]}]),
}


@pytest.mark.parametrize("name", list(BAD_FLAGS))
def test_bad_statuses_are_refused_in_chinese_and_change_nothing(client, clients, db, factories, name):
    response = _post(client, "/fhir/r4/Flag", BAD_FLAGS[name], clients["all"])
    assert 400 <= response.status_code < 500, response.get_json()
    body = response.get_json()
    assert body["resourceType"] == "OperationOutcome"
    assert any("\u4e00" <= ch <= "\u9fff" for ch in body["issue"][0]["diagnostics"])
    with tenancy.tenant_scope(factories.county("臺北市").id):
        assert db.session.scalars(sa.select(ExternalStatus)).all() == []


def test_capability_statement_and_unknown_paths(client):
    statement = client.client.get("/fhir/r4/metadata").get_json()
    CapabilityStatement.model_validate(statement)
    offered = {r["type"] for r in statement["rest"][0]["resource"]}
    assert {"EpisodeOfCare", "ServiceRequest", "Flag"} <= offered
    missing = client.client.get("/fhir/r4/Nothing/1")
    assert missing.status_code == 404 and missing.get_json()["resourceType"] == "OperationOutcome"
    wrong = client.client.delete("/fhir/r4/Flag")
    assert wrong.status_code == 405 and wrong.get_json()["resourceType"] == "OperationOutcome"


def test_revoked_client_is_401(client, clients, db, factories):
    from app.exchange.models import ExchangeClient

    with tenancy.tenant_scope(factories.county("臺北市").id):
        services.revoke_client(db.session.get(ExchangeClient, clients["all"]["id"]))
        db.session.commit()
    assert _post(client, "/fhir/r4/Flag", status_flag(), clients["all"]).status_code == 401


OPERATIONS = [("/EpisodeOfCare/{id}/$everything", "GET"), ("/ServiceRequest", "POST"), ("/Flag", "POST"),
              ("/metadata", "GET")]


RUNS = [(mode, p, m) for mode in ("positive", "negative") for p, m in OPERATIONS
        if (mode, p) != ("negative", "/metadata")]  # no input to make invalid


@pytest.mark.parametrize("mode, path, method", RUNS, ids=[f"{mode} {m} {p}" for mode, p, m in RUNS])
def test_schemathesis_finds_no_failures(app, clients, mode, path, method):
    """Generated requests, valid and invalid, against /fhir/r4/openapi.json, in-process (WSGI): never a 5xx,
    always a documented status, content type and body; invalid data always refused."""
    from hypothesis import given
    from schemathesis import GenerationMode
    from schemathesis.specs.openapi.checks import positive_data_acceptance

    schema = schemathesis.openapi.from_wsgi("/fhir/r4/openapi.json", app)
    assert sorted((p, m.upper()) for p, ops in schema.raw_schema["paths"].items() for m in ops) == sorted(OPERATIONS)
    operation = schema[path][method]
    strategy = operation.as_strategy(GenerationMode(mode), headers={"Authorization": clients["all"]["Authorization"]})

    @given(case=strategy)
    @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def check(case):
        case.call_and_validate(excluded_checks=[positive_data_acceptance])

    check()


def test_the_demo_client_sends_a_mental_care_status_for_a_taipei_family_member(client, db, factories):
    """The demo's 精神照護 status goes through the endpoint's path; its token works on the endpoint too."""
    from app.cases.demo import seed_demo_cases
    from app.exchange.demo import DEMO_TOKEN, seed_demo_exchange
    from app.intake.demo import seed_demo_reports

    seed_demo_reports()
    seed_demo_cases()
    assert seed_demo_exchange() == DEMO_TOKEN
    db.session.commit()
    assert seed_demo_exchange() is None  # idempotent
    with tenancy.tenant_scope(factories.county("臺北市").id):
        [row] = db.session.scalars(sa.select(ExternalStatus)).all()
        assert (row.name, row.birth_date, row.source, row.status_label) == (
            "賴媽媽", date(1987, 3, 3), "mental_health", "精神照護列管")
    again = _post(client, "/fhir/r4/Flag", status_flag(), {"Authorization": f"Bearer {DEMO_TOKEN}"})
    assert again.status_code == 201


def test_a_client_without_report_write_cannot_post_json_reports_either(client, clients, db, factories):
    payload = lambda: {  # noqa: E731  (the JSON API's report, as tests/intake/test_api.py posts it)
        "district": "大安區", "concerns": ["ipv"], "narrative": "急診就醫，疑遭同居人推撞。",
        "persons": [{"name": "張雅琪", "sex": "F", "birth_date": "1985-01-20", "relation": "subject",
                     "id_number": "A223456781"}],
        "reporter": {"reporter_type": "mandated", "name": "吳護理師", "profession": "medical", "organisation": "臺大醫院"},
        "tipvda_answers": [True] * 8 + [False] * 7,
    }
    headers = {"Authorization": clients["read"]["Authorization"], "Content-Type": "application/json"}
    refused = client.client.post("/api/v1/reports", data=json.dumps(payload(), ensure_ascii=False), headers=headers)
    assert refused.status_code == 403 and "report.write" in refused.get_json()["message"]
    headers["Authorization"] = clients["all"]["Authorization"]
    accepted = client.client.post("/api/v1/reports", data=json.dumps(payload(), ensure_ascii=False), headers=headers)
    assert accepted.status_code == 201
    assert len(_reports(db, factories)) == 1
