"""What the FHIR API offers, said twice: the CapabilityStatement (FHIR's own) and the OpenAPI document
(for the generic tools, and schemathesis); and the OperationOutcome every refusal answers with."""
from __future__ import annotations

from . import twss
from .export import LEVEL_SYSTEM, REPORT_NO_SYSTEM
from .inbound import CONCERN_SYSTEM, REGISTER_STATUSES, REGISTER_SYSTEM

EXPORT_PROFILES = (twss.PATIENT, twss.RELATED_PERSON, twss.ORGANIZATION, twss.EPISODE_OF_CARE, twss.ENCOUNTER,
                   twss.CARE_PLAN, twss.CASE_REPORT, twss.REFERRAL, twss.REFERRAL_ACCEPTANCE, twss.REFERRAL_HANDLING)


def operation_outcome(issues: list[tuple[str, str]], code: str = "invalid") -> dict:
    return {"resourceType": "OperationOutcome", "issue": [
        {"severity": "error", "code": code, "diagnostics": message, **({"expression": [where]} if where else {})}
        for where, message in issues]}


def accepted_report(payload: dict, report_no: str, status_label: str) -> dict:
    """The ServiceRequest as received, with its 通報編號 and the platform's status."""
    identifiers = [i for i in payload.get("identifier") or [] if i.get("system") != REPORT_NO_SYSTEM]
    return {**payload, "id": report_no,
            "identifier": [{"use": "official", "system": REPORT_NO_SYSTEM, "value": report_no}, *identifiers],
            "status": "active", "note": [*(payload.get("note") or []), {"text": f"已受理，通報編號 {report_no}（{status_label}）"}]}


def _resource(kind: str, profile: str | None, interactions: list[str], doc: str, **more) -> dict:
    out = {"type": kind, "interaction": [{"code": i} for i in interactions], "documentation": doc, **more}
    if profile:
        out["profile"] = profile
    return out


def capability_statement(url: str) -> dict:
    base = url.rsplit("/", 1)[0]
    return {
        "resourceType": "CapabilityStatement", "status": "active", "date": "2026-12-06", "kind": "instance",
        "name": "SafetyNetTWSSExchange", "title": "社安網協作平台 FHIR 交換介面（TWSS Base IG）",
        "publisher": "社安網協作平台", "fhirVersion": "4.0.1", "format": ["application/fhir+json"],
        "implementation": {"description": "縣市登錄之外部系統以金鑰（Bearer）呼叫；每次呼叫皆留紀錄。", "url": base},
        "implementationGuide": ["https://sfaa.gov.tw/base/ImplementationGuide/tw.gov.mohw.twss.base"],
        "rest": [{
            "mode": "server",
            "documentation": "錯誤以 OperationOutcome（中文說明）回覆；驗證失敗時不改變任何資料。",
            "security": {"description": "Authorization: Bearer <縣市管理者核發之金鑰>；授權範圍 case.read（讀取個案）、"
                                        "report.write（送入通報）、status.write（送入或解除列管狀態）。"
                                        "無效金鑰 401，未獲授權範圍 403。"},
            "resource": [
                _resource("EpisodeOfCare", twss.EPISODE_OF_CARE, [],
                          "本縣市家庭個案；$everything 以 Bundle 匯出成員、案件、訪視、服務計畫、轉介與脆弱程度（case.read）。",
                          operation=[{"name": "everything",
                                      "definition": "http://hl7.org/fhir/OperationDefinition/EpisodeOfCare-everything"}],
                          supportedProfile=list(EXPORT_PROFILES)),
                _resource("ServiceRequest", twss.CASE_REPORT, ["create"],
                          "送入一筆通報（個案通報 Profile）；subject 為內含 Patient（地址需含行政區），reasonCode 使用 "
                          f"{CONCERN_SYSTEM}，note 為通報事由；回傳通報編號。可帶 Idempotency-Key 標頭（report.write）。"),
                _resource("Flag", None, ["create"],
                          f"送入（status=active）或解除（status=inactive）列管狀態；code 使用 {REGISTER_SYSTEM}"
                          f"（{'、'.join(f'{k} {v}' for k, v in REGISTER_STATUSES.items())}）；identifier 為送件系統的識別碼；"
                          "subject 為內含 Patient（身分證號，或姓名與出生日期）；他縣市的人不受理（status.write）。"),
                _resource("Patient", twss.PATIENT, [], "匯出 Bundle 內的家庭成員（案主與兒少）。"),
                _resource("RelatedPerson", twss.RELATED_PERSON, [], "匯出 Bundle 內的其他家庭成員。"),
                _resource("Encounter", twss.ENCOUNTER, [], "匯出 Bundle 內的訪視紀錄。"),
                _resource("CarePlan", twss.CARE_PLAN, [], "匯出 Bundle 內的服務計畫。"),
                _resource("Task", None, [], "匯出 Bundle 內的轉介受理與轉介處理。",
                          supportedProfile=[twss.REFERRAL_ACCEPTANCE, twss.REFERRAL_HANDLING]),
                _resource("Consent", None, [], "匯出 Bundle 內的案家同意分享（IG 未定義 Consent Profile）。"),
                _resource("Observation", None, [], f"匯出 Bundle 內的脆弱程度（{LEVEL_SYSTEM}）。"),
                _resource("Organization", twss.ORGANIZATION, [], "匯出 Bundle 內的主責、轉介單位與縣市。"),
            ],
        }],
    }


def _json_resource(kind: str, required: list[str], properties: dict) -> dict:
    return {"type": "object", "required": ["resourceType", *required],
            "properties": {"resourceType": {"type": "string", "enum": [kind]}, **properties},
            "additionalProperties": True}


def openapi_document() -> dict:
    ref = lambda name: {"$ref": f"#/components/schemas/{name}"}
    content = lambda name: {"application/fhir+json": {"schema": ref(name)}}
    err = lambda text: {"description": text, "content": content("OperationOutcome")}
    coding = {"type": "object", "properties": {"system": {"type": "string"}, "code": {"type": "string"}}}
    concept = {"type": "object", "properties": {"coding": {"type": "array", "items": coding},
                                                "text": {"type": "string"}}}
    reference = {"type": "object", "properties": {"reference": {"type": "string"}}}
    schemas = {
        "OperationOutcome": {"type": "object", "required": ["resourceType", "issue"], "properties": {
            "resourceType": {"type": "string", "enum": ["OperationOutcome"]},
            "issue": {"type": "array", "minItems": 1, "items": {
                "type": "object", "required": ["severity", "code", "diagnostics"],
                "properties": {"severity": {"type": "string"}, "code": {"type": "string"},
                               "diagnostics": {"type": "string"},
                               "expression": {"type": "array", "items": {"type": "string"}}}}}}},
        "Bundle": _json_resource("Bundle", ["type", "entry"], {
            "type": {"type": "string"}, "entry": {"type": "array", "items": {"type": "object"}}}),
        "ServiceRequest": _json_resource("ServiceRequest", ["status", "intent", "subject"], {
            "meta": {"type": "object"}, "status": {"type": "string"}, "intent": {"type": "string"},
            "category": {"type": "array", "items": concept}, "code": concept, "subject": reference,
            "authoredOn": {"type": "string"}, "reasonCode": {"type": "array", "items": concept},
            "note": {"type": "array", "items": {"type": "object", "properties": {"text": {"type": "string"}}}},
            "contained": {"type": "array", "items": {"type": "object"}}}),
        "Flag": _json_resource("Flag", ["status", "code", "subject"], {
            "identifier": {"type": "array", "items": {"type": "object"}},
            "status": {"type": "string", "enum": ["active", "inactive"]}, "code": concept, "subject": reference,
            "period": {"type": "object"}, "contained": {"type": "array", "items": {"type": "object"}}}),
        "CapabilityStatement": _json_resource("CapabilityStatement", ["status", "kind", "fhirVersion"], {}),
    }
    auth = {"401": err("金鑰無效或已撤銷"), "403": err("未獲此授權範圍"), "429": err("請求過於頻繁")}
    body_errors = {"400": err("不是 JSON"), "404": err("查無可解除的列管"), "413": err("內容過大"),
                   "422": err("不是有效的 FHIR R4、不符 IG 規則或代碼、他縣市的人")}
    return {
        "openapi": "3.0.3",
        "info": {"title": "社安網協作平台 FHIR R4 交換介面（TWSS Base IG）", "version": "1.0.0",
                 "description": "縣市登錄之外部系統：匯出家庭個案（Bundle）、送入通報（ServiceRequest）、"
                                "送入或解除列管狀態（Flag）。錯誤以中文 OperationOutcome 回覆。"},
        "servers": [{"url": "/fhir/r4"}],
        "components": {"schemas": schemas, "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
        "security": [{"bearer": []}],
        "paths": {
            "/EpisodeOfCare/{id}/$everything": {"get": {
                "operationId": "episodeEverything", "summary": "匯出本縣市一個家庭個案（case.read）",
                "parameters": [{"name": "id", "in": "path", "required": True,
                                "schema": {"type": "integer", "minimum": 1}}],
                "responses": {"200": {"description": "Bundle", "content": content("Bundle")},
                              "404": err("查無此案或非本縣市"), **auth}}},
            "/ServiceRequest": {"post": {
                "operationId": "createReport", "summary": "送入一筆通報（個案通報 Profile；report.write）",
                "parameters": [{"name": "Idempotency-Key", "in": "header", "required": False,
                                "schema": {"type": "string", "maxLength": 100}}],
                "requestBody": {"required": True, "content": content("ServiceRequest")},
                "responses": {"201": {"description": "已受理，identifier 含通報編號", "content": content("ServiceRequest")},
                              "200": {"description": "相同 Idempotency-Key 的重送", "content": content("ServiceRequest")},
                              "409": err("相同 Idempotency-Key 的請求同時送達"), **body_errors, **auth}}},
            "/Flag": {"post": {
                "operationId": "sendStatus", "summary": "送入或解除列管狀態（status.write）",
                "requestBody": {"required": True, "content": content("Flag")},
                "responses": {"201": {"description": "已記錄列管", "content": content("Flag")},
                              "200": {"description": "已解除列管", "content": content("Flag")},
                              **body_errors, **auth}}},
            "/metadata": {"get": {"operationId": "capabilities", "summary": "CapabilityStatement",
                                  "security": [],
                                  "responses": {"200": {"description": "CapabilityStatement",
                                                        "content": content("CapabilityStatement")}}}},
        },
    }
