"""What other systems send, read from FHIR: a report (ServiceRequest, the IG's case-report profile) and a
列管 status (Flag). Each reader checks the resource is valid R4 (``fhir.resources``), the IG's rules
(``twss.problems``) and this platform's own code lists, and raises ``FhirInvalid`` with every problem in
Chinese; nothing is written here.

``fhir.resources`` 8.x: its R4B models (4.3.0) are the R4 line's models for pydantic 2 (the R4 release,
6.x, needs pydantic 1, which this app cannot load); the resources read here are the same in R4 and R4B.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from fhir.resources.R4B import get_fhir_model_class
from pydantic import ValidationError

from ..core import idnumbers
from ..core.errors import Invalid
from ..intake.reference import Concern, Relation
from . import twss
from .export import APP_SYSTEM, ROLE_CODE, V3_ROLE

CONCERN_SYSTEM = f"{APP_SYSTEM}/CodeSystem/concern"
REGISTER_SYSTEM = f"{APP_SYSTEM}/CodeSystem/external-register-status"
# The 列管 statuses other systems send (Flag.code): this platform's code system, as the IG has none.
REGISTER_STATUSES = {
    "mental_health": "精神照護列管",
    "suicide_prevention": "自殺防治關懷列管",
    "drug_control": "毒品危害防制列管",
    "domestic_violence_offender": "家暴相對人列管",
}
RELATION_OF_ROLE = {code: relation for relation, code in ROLE_CODE.items() if code != "O"}
SEX_OF_GENDER = {"female": "F", "male": "M"}


class FhirInvalid(Invalid):
    """Issues: (where, message). ``code`` is the OperationOutcome issue type."""

    def __init__(self, issues: list[tuple[str, str]], status: int = 422, code: str = "invalid"):
        super().__init__("；".join(m for _, m in issues), status=status)
        self.issues, self.code = issues, code


_PYDANTIC = {"missing": "缺少必要欄位", "extra_forbidden": "不是這種資源的欄位", "string_type": "需為字串",
             "bool_type": "需為 true 或 false", "int_type": "需為整數", "list_type": "需為陣列",
             "model_type": "需為物件", "date_from_datetime_parsing": "日期格式不正確",
             "date_parsing": "日期格式不正確", "datetime_parsing": "日期時間格式不正確",
             "datetime_from_date_parsing": "日期時間格式不正確"}


def parse_r4(payload, resource_type: str) -> dict:
    """The resource as valid R4 (a dict), or FhirInvalid with the parser's complaints in Chinese."""
    if not isinstance(payload, dict):
        raise FhirInvalid([("", "內容需為 JSON 物件（一筆 FHIR 資源）。")], 400, "structure")
    if payload.get("resourceType") != resource_type:
        raise FhirInvalid([("resourceType", f"resourceType 需為 {resource_type}。")], 422, "structure")
    model = get_fhir_model_class(resource_type)
    try:
        model.model_validate(payload)
    except ValidationError as exc:
        issues = []
        for err in exc.errors()[:20]:
            where = ".".join(str(p) for p in err["loc"] if not str(p).startswith("function-")) or resource_type
            reason = _PYDANTIC.get(err["type"], "不符合 FHIR R4 的定義")
            issues.append((where, f"{where}：{reason}（FHIR R4 驗證）。"))
        raise FhirInvalid(issues, 422, "structure") from None
    except (TypeError, ValueError) as exc:  # the parser's own refusals outside pydantic's errors
        raise FhirInvalid([(resource_type, f"不是有效的 FHIR R4 {resource_type}：{str(exc)[:300]}")], 422,
                          "structure") from None
    return payload


def _contained(resource: dict, reference: str | None) -> dict | None:
    if not reference or not reference.startswith("#"):
        return None
    return next((c for c in resource.get("contained") or [] if c.get("id") == reference[1:]), None)


def _codes(concept, system: str) -> list[str]:
    return [c.get("code") for c in (concept or {}).get("coding") or [] if c.get("system") == system]


@dataclass
class Person:
    name: str = ""
    sex: str = "U"
    birth_date: date | None = None
    id_number: str = ""
    relation: str = "other"
    phone: str = ""


def _name(resource: dict) -> str:
    for n in resource.get("name") or []:
        if n.get("text"):
            return n["text"].strip()
        joined = (n.get("family") or "") + "".join(n.get("given") or [])
        if joined:
            return joined.strip()
    return ""


def _person(resource: dict, relation: str) -> Person:
    id_number = next((i.get("value", "") for i in resource.get("identifier") or []
                      if i.get("system") == twss.ID_CARD_SYSTEM), "")
    phone = next((t.get("value", "") for t in resource.get("telecom") or [] if t.get("system") == "phone"), "")
    birth = resource.get("birthDate")
    try:
        birth_date = date.fromisoformat(birth) if birth and len(birth) == 10 else None
    except ValueError:
        birth_date = None
    return Person(name=_name(resource)[:60], sex=SEX_OF_GENDER.get(resource.get("gender"), "U"),
                  birth_date=birth_date, id_number=(id_number or "").strip().upper(), relation=relation,
                  phone=phone[:30])


def _county_named(address: dict) -> str | None:
    """A county-city code (twss-county-city-code) or county name the address names, if any."""
    codes = twss.county_codes()
    for key in ("district", "city", "state"):
        value = (address.get(key) or "").strip()
        if value in codes:
            return value
        by_name = {name: code for code, name in codes.items()}
        if value.replace("台", "臺") in by_name:
            return by_name[value.replace("台", "臺")]
    return None


def other_county_issues(person_resource: dict, county_code: str, county_name: str) -> list[tuple[str, str]]:
    issues = []
    for i, address in enumerate(person_resource.get("address") or []):
        named = _county_named(address)
        if named is not None and named != county_code:
            issues.append((f"address[{i}]", (f"此人屬於{twss.county_codes()[named]}（{named}），"
                                            f"不是{county_name}的轄區；請送交該縣市。")))
    return issues


def _district(address: dict) -> str:
    """The 行政區 name: the address's district unless it holds the county (the IG binds district to
    twss-county-city-code), then the city."""
    for key in ("district", "city"):
        value = (address.get(key) or "").strip()
        if value and _county_named({key: value}) is None:
            return value[:20]
    return ""


@dataclass
class ReportRequest:
    persons: list[Person]
    district: str
    address: str
    concerns: list[str]
    narrative: str
    urgent: bool
    received_at: datetime | None
    channel: str | None  # twss-reporting-unit code, = the app's ReportingChannel
    source_ref: str


def read_case_report(payload, county_code: str, county_name: str) -> ReportRequest:
    sr = parse_r4(payload, "ServiceRequest")
    issues = twss.problems(sr)
    if twss.CASE_REPORT not in ((sr.get("meta") or {}).get("profile") or []):
        issues += twss.problems({**sr, "meta": {"profile": [twss.CASE_REPORT]}})
        issues.append(("meta.profile", f"meta.profile 需宣告個案通報 Profile {twss.CASE_REPORT}。"))
    subject = _contained(sr, (sr.get("subject") or {}).get("reference"))
    if subject is None or subject.get("resourceType") != "Patient":
        issues.append(("subject", "subject 需參照內含（contained）的 Patient，例如 \"#p1\"。"))
        raise FhirInvalid(issues)
    persons = [_person(subject, Relation.SUBJECT.value)]
    for c in sr.get("contained") or []:
        if c.get("resourceType") == "RelatedPerson":
            role = next((code for r in c.get("relationship") or [] for code in _codes(r, V3_ROLE)), "")
            persons.append(_person(c, RELATION_OF_ROLE.get(role, Relation.OTHER).value))
    issues += other_county_issues(subject, county_code, county_name)
    addresses = subject.get("address") or []
    district = _district(addresses[0]) if addresses else ""
    if not district:
        issues.append(("contained.Patient.address.district", "請於 Patient.address 填寫案家所在行政區（例如「中正區」）。"))
    concerns = [code for rc in sr.get("reasonCode") or [] for code in _codes(rc, CONCERN_SYSTEM)]
    valid = {c.value for c in Concern}
    for code in concerns:
        if code not in valid:
            issues.append(("reasonCode", f"通報類別「{code}」不在代碼系統 {CONCERN_SYSTEM} 之內。"))
    if not concerns:
        issues.append(("reasonCode", f"請以 reasonCode（代碼系統 {CONCERN_SYSTEM}）寫明通報類別。"))
    narrative = "\n".join(n.get("text", "") for n in sr.get("note") or [] if n.get("text")).strip()
    if not narrative:
        issues.append(("note", "請於 note.text 寫明通報事由。"))
    channel = None
    for ext in sr.get("extension") or []:
        if ext.get("url") == twss.EXT_REPORTING_UNIT:
            channel = next(iter(_codes(ext.get("valueCodeableConcept"), twss.cs("TWSSReportingUnit"))), None)
    if issues:
        raise FhirInvalid(issues)
    authored = sr.get("authoredOn")
    received_at = datetime.fromisoformat(authored) if authored and "T" in authored else None
    source_ref = next((i.get("value", "") for i in sr.get("identifier") or []), "")
    return ReportRequest(persons=persons, district=district, address=(addresses[0].get("text") or "")[:200]
                         if addresses else "", concerns=list(dict.fromkeys(concerns)), narrative=narrative[:5000],
                         urgent=sr.get("priority") in ("urgent", "asap", "stat"), received_at=received_at,
                         channel=channel, source_ref=source_ref[:100])


@dataclass
class StatusMessage:
    active: bool
    source_ref: str
    status: str
    person: Person
    since: date | None
    note: str


def read_flag(payload, county_code: str, county_name: str) -> StatusMessage:
    """A 列管 status as a Flag: status active (列管) or inactive (解除列管), identifier = the sender's own
    reference of the status, code from REGISTER_SYSTEM, subject = a contained Patient."""
    flag = parse_r4(payload, "Flag")
    issues = twss.problems(flag)
    source_ref = next((i.get("value", "") for i in flag.get("identifier") or [] if i.get("value")), "").strip()
    if not source_ref:
        issues.append(("identifier", "identifier.value 需為送件系統對此列管的識別碼（重送或解除時用同一個）。"))
    elif len(source_ref) > 100:
        issues.append(("identifier", "identifier.value 最長 100 字元。"))
    if flag.get("status") not in ("active", "inactive"):
        issues.append(("status", "status 需為 active（列管）或 inactive（解除列管）。"))
    codes = _codes(flag.get("code"), REGISTER_SYSTEM)
    if not codes:
        issues.append(("code", f"code 需使用代碼系統 {REGISTER_SYSTEM}。"))
    for code in codes:
        if code not in REGISTER_STATUSES:
            issues.append(("code", f"列管狀態「{code}」不在代碼系統 {REGISTER_SYSTEM} 之內。"))
    subject = _contained(flag, (flag.get("subject") or {}).get("reference"))
    if subject is None or subject.get("resourceType") != "Patient":
        issues.append(("subject", "subject 需參照內含（contained）的 Patient，例如 \"#p1\"。"))
        raise FhirInvalid(issues)
    person = _person(subject, Relation.SUBJECT.value)
    if person.id_number and idnumbers.problem(person.id_number):
        issues.append(("contained.Patient.identifier", f"身分證號 {person.id_number[:12]}：{idnumbers.problem(person.id_number)}"))
    if not person.id_number and not (person.name and person.birth_date):
        issues.append(("contained.Patient", ("請提供身分證號（identifier system http://www.moi.gov.tw），"
                                            "或姓名與出生日期，才能比對個人。")))
    issues += other_county_issues(subject, county_code, county_name)
    if issues:
        raise FhirInvalid(issues)
    start = (flag.get("period") or {}).get("start")
    since = date.fromisoformat(start[:10]) if start else None
    return StatusMessage(active=flag["status"] == "active", source_ref=source_ref, status=codes[0], person=person,
                         since=since, note=((flag.get("code") or {}).get("text") or "")[:500])
