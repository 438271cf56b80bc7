"""The FHIR R4 API for the county's registered systems (TWSS Base IG): /fhir/r4.

- GET  /EpisodeOfCare/<id>/$everything  a family case as a Bundle          scope case.read
- POST /ServiceRequest                  a report (case-report profile)      scope report.write
- POST /Flag                            a 列管 status, or its withdrawal   scope status.write
- GET  /metadata                        the CapabilityStatement
- GET  /openapi.json                    the OpenAPI document

Every call with a valid token is logged (``exchange_calls``: client, operation, target, status, outcome),
refusals too; a call with a bad token goes to the audit log (it names no county). Errors are
OperationOutcomes in Chinese; nothing is changed by a refused call.
"""
from __future__ import annotations

import hashlib
import json

import sqlalchemy as sa
from flask import Blueprint, Response, current_app, request, url_for

from ..audit import services as audit
from ..audit.models import AuditAction
from ..core import edge, tenancy
from ..core.errors import Invalid
from ..core.permissions import public
from ..extensions import csrf, db, limiter
from ..tenants.models import County
from . import capability, export, inbound, services
from .inbound import FhirInvalid
from .models import Scope

bp = Blueprint("fhir", __name__, url_prefix="/fhir/r4")
csrf.exempt(bp)  # token-authenticated; no cookies are read

FHIR_JSON = "application/fhir+json"
MAX_BODY = 256 * 1024
MAX_ID = 2**31 - 1


def fhir_response(body: dict, status: int = 200, headers: dict | None = None) -> Response:
    response = Response(json.dumps(body, ensure_ascii=False), status=status, mimetype=FHIR_JSON)
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def outcome(status: int, issues: list[tuple[str, str]], code: str = "invalid") -> Response:
    return fhir_response(capability.operation_outcome(issues, code), status)


def _token_key():
    header = request.headers.get("Authorization", "")
    return "token:" + hashlib.sha256(header.encode()).hexdigest()[:16] if header else request.remote_addr


def _serve(operation: str, scope: Scope, target: str, handler):
    """Authenticate, check the scope, run the handler, log the call, commit; refusals change nothing."""
    ip = request.remote_addr or ""
    client = services.client_for_bearer(request.headers.get("Authorization", ""))
    if client is None:
        audit.record(AuditAction.LOGIN_FAILED, summary=f"FHIR API {operation}：金鑰無效或已撤銷",
                     record_type="exchange_clients", tenant_id=None,
                     actor=audit.Actor(username="fhir:unknown", ip=ip))
        edge.commit()
        return outcome(401, [("Authorization", "API 金鑰無效或已撤銷。請以 Authorization: Bearer <金鑰> 呼叫。")],
                       "login")
    tenancy.set_tenant(client.tenant_id)
    audit.set_actor(audit.Actor(username=f"fhir:{client.name}"[:50], ip=ip))
    if not client.has(scope):
        message = f"此用戶端未獲授權範圍 {scope.value}（{scope.label}）；請洽縣市管理者。"
        services.log_call(client, operation, target, 403, message, ip)
        edge.commit()
        return outcome(403, [("Authorization", message)], "forbidden")
    try:
        status, body, summary, headers = handler(client)
    except (FhirInvalid, Invalid) as exc:
        db.session.rollback()
        issues = exc.issues if isinstance(exc, FhirInvalid) else [("", exc.message)]
        code = exc.code if isinstance(exc, FhirInvalid) else "invalid"
        tenancy.set_tenant(client.tenant_id)
        audit.set_actor(audit.Actor(username=f"fhir:{client.name}"[:50], ip=ip))
        services.log_call(client, operation, target, exc.status, "；".join(m for _, m in issues), ip)
        edge.commit()
        return outcome(exc.status, issues, code)
    services.log_call(client, operation, target, status, summary, ip)
    try:
        edge.commit()
    except sa.exc.IntegrityError:  # the same Idempotency-Key twice at once: the first one stands
        db.session.rollback()
        tenancy.set_tenant(client.tenant_id)
        message = "同一個 Idempotency-Key 的請求正在處理或已完成，請稍後以相同內容重送以取得結果。"
        services.log_call(client, operation, target, 409, message, ip)
        edge.commit()
        return outcome(409, [("Idempotency-Key", message)], "conflict")
    return fhir_response(body, status, headers)


def _payload():
    raw = request.get_data(cache=True)
    if len(raw) > MAX_BODY:
        raise FhirInvalid([("", "內容過大（上限 256 KB）。")], 413, "too-costly")
    try:
        payload = json.loads(raw or b"null")
    except (ValueError, UnicodeDecodeError):
        raise FhirInvalid([("", "內容不是有效的 JSON。")], 400, "structure") from None
    if "\x00" in raw.decode("utf-8", "replace") or "\\u0000" in raw.decode("utf-8", "replace"):
        raise FhirInvalid([("", "內容含有 NUL 字元（\\u0000），請移除後再送。")], 422, "value")
    return raw, payload


def _county(client) -> County:
    return db.session.get(County, client.tenant_id)


@bp.get("/EpisodeOfCare/<int:case_id>/$everything")
@public  # authenticated by the bearer token, not by a session
@limiter.limit(lambda: current_app.config["API_RATE"], key_func=_token_key)
def everything(case_id: int):
    def handler(client):
        case = export.case_for_export(case_id) if case_id <= MAX_ID else None
        if case is None or case.tenant_id != client.tenant_id:
            raise FhirInvalid([("id", f"查無 EpisodeOfCare/{case_id}，或該案不屬於本縣市。")], 404, "not-found")
        body = export.bundle(case, url_for("fhir.metadata", _external=True).rsplit("/", 1)[0])
        audit.record(AuditAction.READ, summary=f"FHIR 匯出 {case.case_no}（{client.name}）",
                     record_type="family_cases", record_id=case.id)
        return 200, body, f"匯出 {case.case_no}：{len(body['entry'])} 筆資源", None
    return _serve("EpisodeOfCare/$everything", Scope.CASE_READ, f"EpisodeOfCare/{case_id}", handler)


@bp.post("/ServiceRequest")
@public  # authenticated by the bearer token, not by a session
@limiter.limit(lambda: current_app.config["API_RATE"], key_func=_token_key)
def create_report():
    def handler(client):
        raw, payload = _payload()
        key = request.headers.get("Idempotency-Key", "").strip()
        if len(key) > 100:
            raise FhirInvalid([("Idempotency-Key", "Idempotency-Key 最長 100 字元。")], 422, "value")
        county = _county(client)
        data = inbound.read_case_report(payload, county.code, county.name)
        report, replayed = services.receive_report(client, county, data, key, raw)
        body = capability.accepted_report(payload, report.report_no, report.status.label)
        location = url_for("fhir.create_report", _external=True) + f"/{report.report_no}"
        headers = {"Location": location}
        if replayed:
            headers["Idempotent-Replayed"] = "true"
        return (200 if replayed else 201), body, f"通報 {report.report_no}{'（重送）' if replayed else ''}", headers
    return _serve("ServiceRequest/create", Scope.REPORT_WRITE, "ServiceRequest", handler)


@bp.post("/Flag")
@public  # authenticated by the bearer token, not by a session
@limiter.limit(lambda: current_app.config["API_RATE"], key_func=_token_key)
def send_status():
    def handler(client):
        _raw, payload = _payload()
        county = _county(client)
        message = inbound.read_flag(payload, county.code, county.name)
        row = services.receive_status(client, message)
        body = {**payload, "id": str(row.id)}
        what = "列管" if message.active else "解除列管"
        return (201 if message.active else 200), body, f"{what} {message.status}（{message.source_ref}）", None
    return _serve("Flag/create", Scope.STATUS_WRITE, "Flag", handler)


@bp.get("/metadata")
@public
def metadata():
    return fhir_response(capability.capability_statement(url_for("fhir.metadata", _external=True)))


@bp.get("/openapi.json")
@public
def openapi():
    response = fhir_response(capability.openapi_document())
    response.mimetype = "application/json"
    return response
