"""A family case as a FHIR R4 Bundle in the TWSS Base IG's profiles (the read model of ``$everything``).

Members: Patient (the case's subject and the children) or RelatedPerson (the other members, linked to
the case's Patient); the case: EpisodeOfCare with its status; its reports: ServiceRequest (case-report);
contacts: Encounter; plans: CarePlan; referrals: ServiceRequest (referral) with a Task for the receiver's
acceptance and one for the handling, and Consent when the family agreed to share; the vulnerability level:
Observation; units, partners and counties named by these: Organization.
"""
from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa

from ..cases.models import (
    CaseContact,
    CaseMember,
    CaseStatus,
    FamilyCase,
    ServicePlan,
    VulnerabilityAssessment,
)
from ..extensions import db
from ..intake.models import Report
from ..intake.reference import Relation, Sex
from ..referrals.models import Referral, ReferralStatus
from . import twss

APP_SYSTEM = "https://safetynet.example.tw/fhir"  # this platform's own identifier systems and code systems
MEMBER_SYSTEM = f"{APP_SYSTEM}/identifier/case-member"
REPORT_NO_SYSTEM = f"{APP_SYSTEM}/identifier/report-no"
REFERRAL_NO_SYSTEM = f"{APP_SYSTEM}/identifier/referral-no"
LEVEL_SYSTEM = f"{APP_SYSTEM}/CodeSystem/vulnerability-level"
V3_ROLE = "http://terminology.hl7.org/CodeSystem/v3-RoleCode"
V3_ACT = "http://terminology.hl7.org/CodeSystem/v3-ActCode"

# EpisodeOfCare.status for the case's states. The IG's ConceptMap twss-case-status-to-episode-of-care-status
# maps only B 處遇中 → active and C 已結案 → finished (kept here); the other states are this platform's reading:
# awaiting a worker → waitlist, in assessment or opening review → planned, not opened → cancelled.
EPISODE_STATUS = {
    CaseStatus.AWAITING_ASSIGNMENT: "waitlist", CaseStatus.ASSESSING: "planned",
    CaseStatus.OPENING_REVIEW: "planned", CaseStatus.OPEN: "active", CaseStatus.CLOSING_REVIEW: "active",
    CaseStatus.CLOSED: "finished", CaseStatus.NOT_OPENED: "cancelled",
}
# twss-case-status (A 待分派, B 處遇中, C 已結案, F 評估中個案, I 開案審查中, N 未成案).
CASE_STATUS_CODE = {
    CaseStatus.AWAITING_ASSIGNMENT: "A", CaseStatus.ASSESSING: "F", CaseStatus.OPENING_REVIEW: "I",
    CaseStatus.OPEN: "B", CaseStatus.CLOSING_REVIEW: "B", CaseStatus.CLOSED: "C", CaseStatus.NOT_OPENED: "N",
}
ROLE_CODE = {Relation.FATHER: "FTH", Relation.MOTHER: "MTH", Relation.CHILD: "CHILD", Relation.SIBLING: "SIB",
             Relation.GRANDPARENT: "GRPRN", Relation.PARTNER: "SIGOTHR", Relation.COHABITANT: "DOMPART",
             Relation.CARER: "CAREGIVER", Relation.RESPONDENT: "NBOR", Relation.OTHER: "O"}
ROLE_CODE[Relation.RESPONDENT] = "O"  # no RoleCode says 相對人: the text does
GENDER = {Sex.FEMALE: "female", Sex.MALE: "male", Sex.UNKNOWN: "unknown"}
# A referral's state: the ServiceRequest's status, and the twss-referral-handling-status codes of the
# acceptance Task (the receiver's decision) and of the handling Task (how it went).
REFERRAL_STATUS = {
    ReferralStatus.WAITING: "active", ReferralStatus.IN_SERVICE: "active", ReferralStatus.RETURNED: "active",
    ReferralStatus.DECLINED: "revoked", ReferralStatus.WITHDRAWN: "revoked", ReferralStatus.FORWARDED: "completed",
    ReferralStatus.COMPLETED: "completed", ReferralStatus.FAILED: "revoked",
}
ACCEPTANCE = {ReferralStatus.IN_SERVICE: "accepted", ReferralStatus.COMPLETED: "accepted",
              ReferralStatus.FAILED: "accepted", ReferralStatus.DECLINED: "not-accepted",
              ReferralStatus.RETURNED: "returned", ReferralStatus.FORWARDED: "referred-again"}
HANDLING = {ReferralStatus.WAITING: "pending", ReferralStatus.IN_SERVICE: "pending", ReferralStatus.RETURNED: "pending",
            ReferralStatus.COMPLETED: "completed", ReferralStatus.FAILED: "failed"}
HANDLING_TASK_STATUS = {"pending": "in-progress", "completed": "completed", "failed": "failed", "other": "cancelled"}


def _dt(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _d(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _ref(kind: str, rid: str, display: str = "") -> dict:
    out = {"reference": f"{kind}/{rid}"}
    if display:
        out["display"] = display
    return out


def _prune(node):
    """No empty elements (FHIR forbids them)."""
    if isinstance(node, dict):
        out = {k: _prune(v) for k, v in node.items()}
        return {k: v for k, v in out.items() if v not in (None, "", [], {})}
    if isinstance(node, list):
        return [v for v in (_prune(x) for x in node) if v not in (None, "", [], {})]
    return node


class _Builder:
    def __init__(self, case: FamilyCase, base: str):
        self.case, self.base = case, base.rstrip("/")
        self.entries: list[dict] = []
        self.orgs: dict[str, dict] = {}

    def add(self, resource: dict, mode: str = "match") -> dict:
        resource = _prune(resource)
        self.entries.append({"fullUrl": f"{self.base}/{resource['resourceType']}/{resource['id']}",
                             "resource": resource, "search": {"mode": mode}})
        return resource

    def org(self, key: str, name: str, part_of: str | None = None) -> dict:
        if key not in self.orgs:
            self.orgs[key] = {
                "resourceType": "Organization", "id": key, "meta": {"profile": [twss.ORGANIZATION]},
                "identifier": [{"use": "official", "system": twss.ORGANIZATION_CODE_SYSTEM, "value": key}],
                "active": True, "name": name,
                "partOf": _ref("Organization", part_of) if part_of else None,
            }
        return _ref("Organization", key, name)

    def county_org(self, county) -> dict:
        return self.org(f"county-{county.code}", county.name)

    def unit_org(self, unit) -> dict:
        county = unit.county if getattr(unit, "county", None) is not None else None
        if county is not None:
            self.county_org(county)
        return self.org(f"unit-{unit.id}", unit.name, f"county-{county.code}" if county is not None else None)


def _person_name(member: CaseMember) -> list[dict]:
    if not member.name:
        return []
    return [{"use": "usual", "text": member.name}]


def _patient(member: CaseMember, case: FamilyCase) -> dict:
    identifiers = [{"use": "official", "system": MEMBER_SYSTEM, "value": str(member.id),
                    "type": {"coding": [{"system": twss.V2_0203, "code": "PI", "display": "Patient internal identifier"}],
                             "text": "服務對象編號"}},
                   {"use": "usual", "system": twss.CASE_NUMBER_SYSTEM, "value": case.case_no,
                    "type": twss.concept("TWSSIdentifierType", "case-number")}]
    if member.id_number:
        identifiers.insert(0, {
            "use": "official", "system": twss.ID_CARD_SYSTEM, "value": member.id_number,
            "type": {"coding": [{"system": twss.V2_0203, "code": "NNxxx", "display": "National Person Identifier",
                                 "_code": {"extension": [{"url": twss.TW_IDENTIFIER_SUFFIX, "valueString": "TWN"}]}}],
                     "text": "身分證字號"}})
    return {
        "resourceType": "Patient", "id": f"m{member.id}", "meta": {"profile": [twss.PATIENT]},
        "identifier": identifiers, "active": member.ended_on is None, "name": _person_name(member),
        "gender": GENDER.get(member.sex, "unknown"), "birthDate": _d(member.birth_date),
        "telecom": [{"system": "phone", "value": member.phone}] if member.phone else [],
        "deceasedBoolean": True if member.end_reason == "deceased" else None,
    }


def _related(member: CaseMember, patient_id: str) -> dict:
    identifiers = [{"use": "usual", "system": MEMBER_SYSTEM, "value": str(member.id),
                    "type": {"coding": [{"system": twss.V2_0203, "code": "RI"}], "text": "關係人編號"}}]
    if member.id_number:
        identifiers.insert(0, {"use": "official", "system": twss.ID_CARD_SYSTEM, "value": member.id_number,
                               "type": {"coding": [{"system": twss.V2_0203, "code": "NNxxx"}]}})
    return {
        "resourceType": "RelatedPerson", "id": f"m{member.id}", "meta": {"profile": [twss.RELATED_PERSON]},
        "identifier": identifiers, "active": member.ended_on is None, "patient": _ref("Patient", patient_id),
        "relationship": [{"coding": [{"system": V3_ROLE, "code": ROLE_CODE.get(member.relation, "O")}],
                          "text": member.relation.label}],
        "name": _person_name(member), "gender": GENDER.get(member.sex, "unknown"),
        "birthDate": _d(member.birth_date),
        "telecom": [{"system": "phone", "value": member.phone}] if member.phone else [],
        "period": {"end": _d(member.ended_on)} if member.ended_on else None,
    }


def _is_patient(member: CaseMember) -> bool:
    return member.relation in (Relation.SUBJECT, Relation.CHILD) or member.is_child


def case_for_export(case_id: int) -> FamilyCase | None:
    """The case of the session's county (RLS and the tenant scope keep other counties' cases out)."""
    return db.session.get(FamilyCase, case_id)


def bundle(case: FamilyCase, base: str) -> dict:
    b = _Builder(case, base)
    members = list(case.members)
    patients = [m for m in members if _is_patient(m)] or members[:1]
    subject = next((m for m in patients if m.relation == Relation.SUBJECT), patients[0] if patients else None)
    subject_id = f"m{subject.id}" if subject is not None else None
    lead = case.lead_unit
    managing = b.unit_org(lead) if lead is not None else b.org(f"county-{case.tenant_id}", "縣市政府")
    episode_id = str(case.id)

    # EpisodeOfCare first: the entry the operation is about.
    referrals = db.session.scalars(sa.select(Referral).where(Referral.case_id == case.id,
                                                             Referral.tenant_id == case.tenant_id)
                                   .order_by(Referral.id)).all()
    b.add({
        "resourceType": "EpisodeOfCare", "id": episode_id, "meta": {"profile": [twss.EPISODE_OF_CARE]},
        "identifier": [{"use": "official", "system": twss.CASE_NUMBER_SYSTEM, "value": case.case_no}],
        "extension": [{"url": twss.EXT_CASE_STATUS,
                       "valueCodeableConcept": twss.concept("TWSSCaseStatus", CASE_STATUS_CODE[case.status])}],
        "status": EPISODE_STATUS[case.status],
        "type": [{"coding": [twss.coding("TWSSCaseServiceType", "VFS")], "text": "脆弱家庭個案管理"},
                 {"coding": [twss.coding("TWSSEpisodeOfCareType", "vulnerable-family")]}],
        "patient": _ref("Patient", subject_id, subject.name) if subject_id else None,
        "managingOrganization": managing,
        "period": {"start": _dt(case.opened_at or case.received_at), "end": _dt(case.closed_at)},
        "referralRequest": [_ref("ServiceRequest", f"ref{r.id}") for r in referrals],
    })
    for m in members:
        b.add(_patient(m, case) if m in patients else _related(m, subject_id), "include")

    reports = db.session.scalars(sa.select(Report).where(Report.case_id == case.id).order_by(Report.id)).all()
    report_ids = []
    for r in reports:
        report_ids.append(f"r{r.id}")
        b.add({
            "resourceType": "ServiceRequest", "id": f"r{r.id}", "meta": {"profile": [twss.CASE_REPORT]},
            "identifier": [{"use": "official", "system": REPORT_NO_SYSTEM, "value": r.report_no}],
            "extension": [{"url": twss.EXT_REPORTING_UNIT,
                           "valueCodeableConcept": twss.concept("TWSSReportingUnit", r.channel.value)}],
            "status": "completed", "intent": "order", "priority": "urgent" if r.urgent else "routine",
            "category": [{"coding": [twss.NOTIFICATIONS]}], "code": {"coding": [twss.ASSESSMENT_OF_NEEDS]},
            "orderDetail": [{"coding": [twss.coding("TWSSCaseServiceType", "VFS")]}],
            "subject": _ref("Patient", subject_id), "authoredOn": _dt(r.received_at),
            "performer": [managing], "reasonCode": [{"text": "、".join(r.concern_labels)}],
            "note": [{"text": r.narrative}] if r.narrative else [],
        }, "include")
    if not report_ids:  # a case that arrived otherwise (a county's transfer): its intake is the request
        report_ids.append(f"case{case.id}-intake")
        b.add({"resourceType": "ServiceRequest", "id": report_ids[0], "meta": {"profile": [twss.CASE_REPORT]},
               "status": "completed", "intent": "order", "category": [{"coding": [twss.NOTIFICATIONS]}],
               "code": {"coding": [twss.ASSESSMENT_OF_NEEDS]}, "subject": _ref("Patient", subject_id),
               "authoredOn": _dt(case.received_at)}, "include")

    contacts = db.session.scalars(sa.select(CaseContact).where(CaseContact.case_id == case.id)
                                  .order_by(CaseContact.contacted_at)).all()
    by_id = {m.id: m for m in members}
    for c in contacts:
        seen = [by_id[i] for i in (c.persons_seen or []) if i in by_id]
        end = c.contacted_at if not c.duration_minutes else None
        b.add({
            "resourceType": "Encounter", "id": f"c{c.id}", "meta": {"profile": [twss.ENCOUNTER]},
            "status": "finished",
            "class": {"system": V3_ACT, "code": "VR" if c.method.value in ("A", "E", "H") else "FLD"},
            "type": [{"coding": [twss.coding("TWSSVisitServiceMethod", c.method.value)]}],
            "subject": _ref("Patient", subject_id),
            "basedOn": [_ref("ServiceRequest", report_ids[0])],
            "episodeOfCare": [_ref("EpisodeOfCare", episode_id)],
            "participant": [{"individual": _ref("RelatedPerson", f"m{m.id}", m.name)} for m in seen
                            if m not in patients],
            "period": {"start": _dt(c.contacted_at), "end": _dt(end)},
            "length": {"value": c.duration_minutes, "unit": "min", "system": "http://unitsofmeasure.org",
                       "code": "min"} if c.duration_minutes else None,
            "serviceProvider": managing,
        }, "include")

    plans = db.session.scalars(sa.select(ServicePlan).where(ServicePlan.case_id == case.id)
                               .order_by(ServicePlan.id)).all()
    for p in plans:
        b.add({
            "resourceType": "CarePlan", "id": f"p{p.id}", "meta": {"profile": [twss.CARE_PLAN]},
            "extension": [{"url": twss.EXT_WORKFLOW_EPISODE, "valueReference": _ref("EpisodeOfCare", episode_id)}],
            "status": "completed" if case.status == CaseStatus.CLOSED else "active", "intent": "plan",
            "title": "服務計畫", "description": p.goals, "subject": _ref("Patient", subject_id),
            "period": {"start": _d(p.agreed_on), "end": _d(p.review_due)}, "created": _dt(p.created_at),
            "author": b.unit_org(p.unit) if p.unit is not None else managing,
            "note": [{"text": f"同意者：{p.agreed_by}"}] if p.agreed_by else [],
        }, "include")

    for r in referrals:
        _referral(b, r, subject_id, managing)

    assessment = db.session.scalars(sa.select(VulnerabilityAssessment)
                                    .where(VulnerabilityAssessment.case_id == case.id)
                                    .order_by(VulnerabilityAssessment.assessed_at.desc())).first()
    if assessment is not None and assessment.level is not None:
        b.add({
            "resourceType": "Observation", "id": f"v{assessment.id}", "status": "final",
            "category": [{"coding": [twss.coding("TWSSObservationType", "assessment")]}],
            "code": {"coding": [twss.coding("TWSSObservationType", "assessment-result")], "text": "脆弱家庭脆弱程度"},
            "subject": _ref("Patient", subject_id), "effectiveDateTime": _dt(assessment.assessed_at),
            "valueCodeableConcept": {"coding": [{"system": LEVEL_SYSTEM, "code": assessment.level.value,
                                                 "display": assessment.level.label}],
                                     "text": f"脆弱程度：{assessment.level.label}"},
            "note": [{"text": f"調整理由：{assessment.override_reason}"}] if assessment.override_level else [],
        }, "include")

    for resource in b.orgs.values():
        b.add(resource, "include")
    return {"resourceType": "Bundle", "type": "searchset", "total": 1, "entry": b.entries,
            "link": [{"relation": "self", "url": f"{b.base}/EpisodeOfCare/{episode_id}/$everything"}]}


def _referral(b: _Builder, r: Referral, subject_id: str, managing: dict) -> None:
    requester = b.unit_org(r.from_unit) if r.from_unit is not None else managing
    if r.to_unit is not None:
        performer = b.unit_org(r.to_unit)
    elif r.to_partner is not None:
        performer = b.org(f"partner-{r.to_partner.id}", r.to_partner.name)
    else:
        performer = b.county_org(r.to_county)
    rid = f"ref{r.id}"
    b.add({
        "resourceType": "ServiceRequest", "id": rid, "meta": {"profile": [twss.REFERRAL]},
        "identifier": [{"use": "official", "system": REFERRAL_NO_SYSTEM, "value": r.referral_no}],
        "status": REFERRAL_STATUS[r.status], "intent": "order",
        "priority": "urgent" if r.urgency.value == "urgent" else "routine",
        "category": [{"coding": [twss.REFERRAL_TO_SERVICE]}], "code": {"coding": [twss.PATIENT_REFERRAL]},
        "subject": _ref("Patient", subject_id), "authoredOn": _dt(r.created_at),
        "requester": requester, "performer": [performer],
        "reasonCode": [{"text": r.reason}], "note": [{"text": r.services_requested}] if r.services_requested else [],
    }, "include")
    decision = ACCEPTANCE.get(r.status)
    if decision is not None and r.responded_at is not None:
        b.add({
            "resourceType": "Task", "id": f"{rid}-acceptance", "meta": {"profile": [twss.REFERRAL_ACCEPTANCE]},
            "status": "completed", "intent": "order", "authoredOn": _dt(r.responded_at),
            "focus": _ref("ServiceRequest", rid), "for": _ref("Patient", subject_id),
            "requester": requester, "owner": performer,
            "output": [{"type": {"coding": [twss.coding("TWSSTaskOutputType", "referral-acceptance-decision")]},
                        "valueCodeableConcept": twss.concept("TWSSReferralHandlingStatus", decision)}],
        }, "include")
    handling = HANDLING.get(r.status)
    if handling is not None:
        b.add({
            "resourceType": "Task", "id": f"{rid}-handling", "meta": {"profile": [twss.REFERRAL_HANDLING]},
            "status": HANDLING_TASK_STATUS[handling], "intent": "order",
            "businessStatus": twss.concept("TWSSReferralHandlingStatus", handling),
            "focus": _ref("ServiceRequest", rid), "for": _ref("Patient", subject_id),
            "executionPeriod": {"start": _dt(r.created_at),
                                "end": _dt(r.updated_at) if handling in ("completed", "failed") else None},
            "requester": requester, "owner": performer,
        }, "include")
    if r.consent:
        b.add({
            "resourceType": "Consent", "id": f"{rid}-consent", "status": "active",
            "scope": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/consentscope",
                                  "code": "patient-privacy"}]},
            "category": [{"coding": [{"system": "http://loinc.org", "code": "59284-0", "display": "Patient Consent"}]}],
            "patient": _ref("Patient", subject_id), "dateTime": _dt(r.created_at),
            "performer": [{"display": r.consent_by}] if r.consent_by else [],
            "organization": [requester],
            "policyRule": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "OPTIN"}],
                           "text": "案家同意轉介時分享所選資料"},
            "provision": {"type": "permit", "actor": [{
                "role": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ParticipationType",
                                     "code": "IRCP"}]}, "reference": performer}],
                "data": [{"meaning": "related", "reference": _ref("ServiceRequest", rid)}],
                "purpose": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ActReason", "code": "HOPERAT"}]},
        }, "include")
