"""The ministry's TWSS Base IG (臺灣社政領域基礎實作指引, FHIR R4 4.0.1, canonical https://sfaa.gov.tw/base,
repository sfaassn2025-source/base), as this app uses it: the profiles' canonical URLs, their required
elements and fixed values (``RULES``), and the code systems (``data/twss-code-systems.json``, the IG's
CodeSystem resources) against which every coding of an IG code system is checked.

``problems(resource)`` is the one check of "the IG's required elements and bindings": the inbound
endpoints run it on what they receive and the tests run it on every resource of an exported Bundle.
It is a rule table, not a StructureDefinition engine: it holds the cardinalities ``1..`` and the fixed
codes of the profiles used here, and the required bindings to the IG's own code systems.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

CANONICAL = "https://sfaa.gov.tw/base"
SD = f"{CANONICAL}/StructureDefinition/"
CS = f"{CANONICAL}/CodeSystem/"

# Profiles (StructureDefinition ids of the IG's FSH files).
PATIENT = SD + "Patient-twss-base"
RELATED_PERSON = SD + "RelatedPerson-twss-base"
ORGANIZATION = SD + "Organization-twss-base"
EPISODE_OF_CARE = SD + "EpisodeOfCare-twss-base"
ENCOUNTER = SD + "Encounter-assessment-service-twss-base"
CARE_PLAN = SD + "CarePlan-twss-base"
CASE_REPORT = SD + "ServiceRequest-case-report-twss-base"
REFERRAL = SD + "ServiceRequest-referral-twss-base"
REFERRAL_ACCEPTANCE = SD + "ReferralAcceptanceTask-twss-base"
REFERRAL_HANDLING = SD + "ReferralHandlingTask-twss-base"

# Identifier systems the IG fixes.
ID_CARD_SYSTEM = "http://www.moi.gov.tw"
CASE_NUMBER_SYSTEM = f"{CANONICAL}/identifier/case-number"
ORGANIZATION_CODE_SYSTEM = f"{CANONICAL}/identifier/organization-code"
V2_0203 = "http://terminology.hl7.org/CodeSystem/v2-0203"
TW_IDENTIFIER_SUFFIX = "https://twcore.mohw.gov.tw/ig/twcore/StructureDefinition/identifier-suffix"

# Extensions of the IG used here.
EXT_CASE_STATUS = SD + "twss-case-status-extension"
EXT_REPORT_TYPE = SD + "twss-case-report-type"
EXT_REPORTING_UNIT = SD + "twss-reporting-unit"
EXT_CASE_SOURCE = SD + "twss-case-source"
EXT_IS_REFERRAL_CASE = SD + "twss-is-referral-case"
EXT_WORKFLOW_EPISODE = "http://hl7.org/fhir/StructureDefinition/workflow-episodeOfCare"

SNOMED = "http://snomed.info/sct"
NOTIFICATIONS = {"system": SNOMED, "code": "185087000", "display": "Notifications"}
ASSESSMENT_OF_NEEDS = {"system": SNOMED, "code": "710824005", "display": "Assessment of health and social care needs"}
REFERRAL_TO_SERVICE = {"system": SNOMED, "code": "306206005", "display": "Referral to service"}
PATIENT_REFERRAL = {"system": SNOMED, "code": "3457005", "display": "Patient referral"}

# The JSON's keys are the FSH names of the code systems; their URLs are CANONICAL/CodeSystem/<Id>.
CODE_SYSTEM_IDS = {
    "TWSSCaseReportType": "twss-case-report-type",
    "TWSSCaseServiceType": "twss-case-service-type",
    "TWSSCaseSource": "twss-case-source",
    "TWSSCaseStatus": "twss-case-status",
    "TWSSCountyCityCode": "twss-county-city-code",
    "TWSSEpisodeOfCareType": "twss-episode-of-care-type",
    "TWSSIdentifierType": "twss-identifier-type",
    "TWSSObservationType": "twss-observation-type",
    "TWSSReferralHandlingStatus": "twss-referral-handling-status",
    "TWSSReportingUnit": "twss-reporting-unit",
    "TWSSServiceCaseStatus": "twss-service-case-status",
    "TWSSTaskOutputType": "twss-task-output-type",
    "TWSSVisitServiceMethod": "twss-visit-service-method",
}
# Codes the IG's FSH defines but the shared JSON export leaves out (CodeSystem-twss-observation-type.fsh).
EXTRA_CODES = {"twss-observation-type": {"assessment-result": "評估結果", "assessment": "評估"}}


def cs(name: str) -> str:
    return CS + CODE_SYSTEM_IDS[name]


@lru_cache
def code_systems() -> dict[str, dict[str, str]]:
    """URL → {code: display} for the IG code systems this app names (others are not checked)."""
    raw = json.loads((Path(__file__).parent / "data" / "twss-code-systems.json").read_text(encoding="utf-8"))
    out = {}
    for name, cs_id in CODE_SYSTEM_IDS.items():
        codes = {c["code"]: c.get("display", "") for c in raw[name]["codes"]}
        codes.update(EXTRA_CODES.get(cs_id, {}))
        out[CS + cs_id] = codes
    return out


def coding(name: str, code: str) -> dict:
    system = cs(name)
    return {"system": system, "code": code, "display": code_systems()[system][code]}


def concept(name: str, code: str) -> dict:
    c = coding(name, code)
    return {"coding": [c], "text": c["display"]}


def county_codes() -> dict[str, str]:
    return code_systems()[cs("TWSSCountyCityCode")]


# --- The profiles' rules ------------------------------------------------------------------------

@dataclass(frozen=True)
class Rule:
    title: str
    required: tuple[str, ...] = ()  # dotted paths that must hold a value (lists: any element)
    fixed: dict = field(default_factory=dict)  # path → a coding {"system", "code"} one of whose codings must match
    bound: dict = field(default_factory=dict)  # path → code system URL the coding at the path must be from


RULES: dict[str, Rule] = {
    PATIENT: Rule("個案資料 Patient", required=("identifier.system", "identifier.value")),
    RELATED_PERSON: Rule("關係人資料 RelatedPerson", required=("patient.reference",)),
    ORGANIZATION: Rule("機構資料 Organization", required=("identifier.value", "name")),
    EPISODE_OF_CARE: Rule("個案服務案件 EpisodeOfCare",
                          required=("status", "type", "patient.reference", "managingOrganization.reference"),
                          bound={"type": cs("TWSSCaseServiceType")}),
    ENCOUNTER: Rule("個案評估或服務接觸 Encounter",
                    required=("status", "subject.reference", "basedOn.reference", "period.start"),
                    bound={"type": cs("TWSSVisitServiceMethod")}),
    CARE_PLAN: Rule("個案服務計畫 CarePlan", required=("status", "intent", "subject.reference")),
    CASE_REPORT: Rule("個案通報 ServiceRequest", required=("category", "code", "subject.reference", "authoredOn"),
                      fixed={"category": NOTIFICATIONS, "code": ASSESSMENT_OF_NEEDS}),
    REFERRAL: Rule("個案轉介 ServiceRequest",
                   required=("category", "code", "subject.reference", "authoredOn", "requester.reference",
                             "performer.reference"),
                   fixed={"category": REFERRAL_TO_SERVICE, "code": PATIENT_REFERRAL}),
    REFERRAL_ACCEPTANCE: Rule("個案轉介受理 Task",
                              required=("status", "intent", "authoredOn", "focus.reference", "for.reference",
                                        "output.valueCodeableConcept"),
                              bound={"output.valueCodeableConcept": cs("TWSSReferralHandlingStatus")}),
    REFERRAL_HANDLING: Rule("個案轉介處理 Task",
                            required=("status", "intent", "businessStatus", "focus.reference", "for.reference"),
                            bound={"businessStatus": cs("TWSSReferralHandlingStatus")}),
}


def _values(node, path: str) -> list:
    items = node if isinstance(node, list) else [node]
    for part in path.split("."):
        nxt = []
        for item in items:
            if isinstance(item, dict) and part in item:
                value = item[part]
                nxt.extend(value if isinstance(value, list) else [value])
        items = nxt
    return [v for v in items if v not in (None, "", [], {})]


def _codings(value) -> list[dict]:
    if isinstance(value, dict) and "coding" in value:
        return [c for c in value["coding"] if isinstance(c, dict)]
    return [value] if isinstance(value, dict) and "code" in value else []


def _walk_codings(node, where=""):
    """Every Coding of the resource (and its contained resources), with where it is."""
    if isinstance(node, dict):
        if "system" in node and "code" in node and isinstance(node.get("system"), str):
            yield where, node
        for key, value in node.items():
            yield from _walk_codings(value, f"{where}.{key}" if where else key)
    elif isinstance(node, list):
        for i, item in enumerate(node):
            yield from _walk_codings(item, f"{where}[{i}]")


def bad_codes(resource: dict) -> list[tuple[str, str]]:
    """(where, message) for each coding of an IG code system whose code the code system does not hold,
    and each coding that names a code system of the IG this app does not know."""
    known = code_systems()
    out = []
    for where, c in _walk_codings(resource):
        system = c["system"]
        if not system.startswith(CS):
            continue
        codes = known.get(system)
        if codes is None:
            out.append((where, f"代碼系統 {system} 不在本平台支援的 TWSS 代碼系統之內。"))
        elif str(c["code"]) not in codes:
            out.append((where, f"代碼「{c['code']}」不在 TWSS 代碼系統 {system.removeprefix(CS)} 之內。"))
    return out


def problems(resource: dict) -> list[tuple[str, str]]:
    """(where, Chinese message) for each way the resource breaks a rule of the IG profile it claims."""
    out = bad_codes(resource)
    for profile in (resource.get("meta") or {}).get("profile") or []:
        rule = RULES.get(profile)
        if rule is None:
            continue
        for path in rule.required:
            if not _values(resource, path):
                out.append((path, f"{rule.title} 必須有 {path}（IG 基數 1..）。"))
        for path, expected in rule.fixed.items():
            codings = [c for v in _values(resource, path) for c in _codings(v)]
            if codings and not any(c.get("system") == expected["system"] and c.get("code") == expected["code"]
                                   for c in codings):
                out.append((path, (f"{rule.title} 的 {path} 須為 {expected['system']}#{expected['code']}"
                                  f"（{expected['display']}）。")))
        for path, system in rule.bound.items():
            codings = [c for v in _values(resource, path) for c in _codings(v)]
            if _values(resource, path) and not any(c.get("system") == system for c in codings):
                out.append((path, f"{rule.title} 的 {path} 須使用代碼系統 {system}。"))
    return out
