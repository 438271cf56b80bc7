"""POST /api/v1/reports for other systems, with a per-organisation token, an
OpenAPI document, field-level 422s and Idempotency-Key."""
from __future__ import annotations

import hashlib
import json
from datetime import date, datetime, timedelta
from typing import Literal

import sqlalchemy as sa
from flask import Blueprint, current_app, jsonify, request
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ..core import calendar
from ..audit import services as audit
from ..core import edge, idnumbers, tenancy
from ..core.models import utcnow
from ..core.permissions import public
from ..exchange import queries as exchange_queries
from ..extensions import csrf, db, limiter
from ..tenants.models import County
from . import queries, services
from .models import ApiToken, IdempotencyKey, Report
from .reference import Concern, Profession, Relation, ReporterType, VulnerabilityDimension

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)  # token-authenticated; no cookies are read

TOKEN_TOUCH_INTERVAL = timedelta(minutes=1)
Text = lambda n: Field(default="", max_length=n)  # noqa: E731


class PersonIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(default="", max_length=60, description="姓名")
    sex: Literal["F", "M", "U"] = Field(default="U", description="性別：F 女、M 男、U 不詳")
    birth_date: date | None = Field(default=None, description="出生日期（西元 YYYY-MM-DD）")
    estimated_age: int | None = Field(default=None, ge=0, le=120, description="推估年齡")
    id_number: str = Field(default="", max_length=12, description="身分證或居留證號；不詳請留空")
    relation: Literal[tuple(r.value for r in Relation)] = Field(default="other", description="與案主關係")  # type: ignore[valid-type]
    school: str = Text(100)
    phone: str = Text(30)

    @field_validator("id_number")
    @classmethod
    def _valid_id(cls, value: str) -> str:
        message = idnumbers.problem(value)
        if message:
            raise ValueError(message)
        return idnumbers.normalise(value)

    @field_validator("birth_date")
    @classmethod
    def _not_future(cls, value):
        if value is not None and (value > calendar.today() or value.year < 1900):
            raise ValueError("出生日期需在 1900 年之後且不晚於今天。")
        return value


class ReporterIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reporter_type: Literal[tuple(r.value for r in ReporterType)] = "network"  # type: ignore[valid-type]
    anonymous: bool = False
    name: str = Text(60)
    phone: str = Text(30)
    email: str = Text(120)
    profession: Literal[tuple(p.value for p in Profession)] | None = None  # type: ignore[valid-type]
    organisation: str = Text(100)


class ReportIn(BaseModel):
    """A report (通報) sent by another system to a county's screening-and-dispatch centre."""

    model_config = ConfigDict(extra="forbid")
    district: str = Field(min_length=1, max_length=20, description="案家所在行政區名稱，須屬於金鑰所屬縣市，例如「中正區」")
    address: str = Text(200)
    child_location: str = Text(200)
    concerns: list[Literal[tuple(c.value for c in Concern)]] = Field(min_length=1, max_length=8)  # type: ignore[valid-type]
    dimensions: list[Literal[tuple(d.value for d in VulnerabilityDimension)]] = Field(default_factory=list, max_length=6)  # type: ignore[valid-type]
    narrative: str = Field(min_length=1, max_length=5000, description="事由")
    urgent: bool = False
    actions_taken: str = Text(2000)
    received_at: datetime | None = Field(default=None, description="受理時間（含時區，ISO 8601）；省略時為 API 收到的時間")
    learned_at: datetime | None = Field(default=None, description="通報人知悉時間（含時區）")
    persons: list[PersonIn] = Field(min_length=1, max_length=10)
    reporter: ReporterIn = Field(default_factory=ReporterIn)
    tipvda_answers: list[bool] | None = Field(default=None, min_length=15, max_length=15,
                                              description="TIPVDA 15 題（true=是）；親密關係暴力必填")
    victim_wishes: str = Text(2000)

    @field_validator("received_at", "learned_at")
    @classmethod
    def _aware(cls, value):
        if value is not None and value.tzinfo is None:
            raise ValueError("時間需含時區，例如 2026-11-22T09:30:00+08:00。")
        if value is not None and value > utcnow():
            raise ValueError("時間不可晚於現在。")
        return value

    @model_validator(mode="after")
    def _ipv_needs_tipvda(self):
        if Concern.IPV.value in self.concerns and self.tipvda_answers is None:
            raise ValueError("親密關係暴力（ipv）需附 TIPVDA 15 題答案 tipvda_answers。")
        return self


class ReportStatusOut(BaseModel):
    report_no: str = Field(description="通報編號")
    state: Literal[tuple(dict.fromkeys(services.PUBLIC_STATE.values()))] = Field(  # type: ignore[valid-type]
        description="received 已受理、processing 處理中、dispatched 已派案、referred 已轉介其他單位、not_accepted 不受理")
    status: str = Field(description="狀態（中文）")


class ReportOut(BaseModel):
    report_no: str = Field(description="通報編號")
    status: str = Field(description="目前狀態")
    deadline_at: datetime = Field(description="派案時限")


def _has_nul(value) -> bool:
    """A NUL anywhere in the JSON (keys or strings): PostgreSQL text cannot hold it."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


def _error(status: int, code: str, message: str, fields: dict | None = None):
    body = {"error": code, "message": message}
    if fields:
        body["fields"] = fields
    return jsonify(body), status


def _token() -> ApiToken | None:
    return services.token_for_bearer(request.headers.get("Authorization", ""))


def _token_key():
    header = request.headers.get("Authorization", "")
    return "token:" + hashlib.sha256(header.encode()).hexdigest()[:16] if header else request.remote_addr


@bp.post("/reports")
@public  # authenticated by the bearer token below, not by a session
@limiter.limit(lambda: current_app.config["API_RATE"], key_func=_token_key)
def create_report():
    token = _token()
    if token is None:
        return _error(401, "unauthorized", "API 金鑰無效或已撤銷。")
    tenancy.set_tenant(token.tenant_id)
    audit.set_actor(audit.Actor(username=f"api:{token.token_prefix}", ip=request.remote_addr or ""))
    if not exchange_queries.token_may_write_reports(token.id):
        return _error(403, "forbidden", "此金鑰屬於未獲「report.write」授權的交換介面用戶端，不能送入通報。")
    raw = request.get_data(cache=True)
    if len(raw) > 256 * 1024:
        return _error(413, "too_large", "內容過大（上限 256 KB）。")
    try:
        payload = json.loads(raw or b"null")
    except (ValueError, UnicodeDecodeError):
        return _error(400, "malformed_json", "內容不是有效的 JSON。")
    if _has_nul(payload):
        return _error(422, "validation_error", "內容含有 NUL 字元（\\u0000），請移除後再送。",
                      {"body": ["不可含 NUL 字元（\\u0000）"]})
    key = request.headers.get("Idempotency-Key", "").strip()
    if len(key) > 100:
        return _error(422, "validation_error", "Idempotency-Key 最長 100 字元。", {"Idempotency-Key": ["最長 100 字元"]})
    request_hash = hashlib.sha256(raw).hexdigest()
    if key:
        seen = queries.idempotency_key(token.id, key)
        if seen is not None:
            if seen.request_hash != request_hash:
                return _error(422, "idempotency_conflict", "同一個 Idempotency-Key 已用於內容不同的請求。")
            report = db.session.get(Report, seen.report_id)
            return _created(_out(report), replay=True)
    try:
        data = ReportIn.model_validate(payload)
    except ValidationError as exc:
        fields: dict[str, list[str]] = {}
        for err in exc.errors():
            where = ".".join(str(p) for p in err["loc"]) or "body"
            fields.setdefault(where, []).append(err["msg"].removeprefix("Value error, "))
        return _error(422, "validation_error", "資料有誤，請依欄位說明修正。", fields)
    county = db.session.get(County, token.tenant_id)
    district = queries.district_named(county.id, data.district)
    if district is None:
        return _error(422, "validation_error", "資料有誤，請依欄位說明修正。",
                      {"district": [f"{county.name}沒有名為「{data.district}」的行政區。"]})
    report_input = services.ReportInput(
        district_id=district.id, concerns=list(data.concerns), dimensions=list(data.dimensions),
        narrative=data.narrative, address=data.address, child_location=data.child_location, urgent=data.urgent,
        actions_taken=data.actions_taken, received_at=data.received_at, learned_at=data.learned_at,
        tipvda_answers=data.tipvda_answers, victim_wishes=data.victim_wishes, source_name=token.organisation,
        persons=[services.PersonInput(**p.model_dump()) for p in data.persons],
        reporter=services.ReporterInput(**data.reporter.model_dump()), api_token_id=token.id,
    )
    report, _code = services.receive(county, report_input, token.channel)
    if key:
        db.session.add(IdempotencyKey(token_id=token.id, key=key, request_hash=request_hash, report_id=report.id))
    if token.last_used_at is None or token.last_used_at < utcnow() - TOKEN_TOUCH_INTERVAL:
        token.last_used_at = utcnow()  # not on every request: each write locks the token's row until commit
    body = _out(report)  # read before the commit expires the row (reading it after costs a transaction)
    try:
        edge.commit()
    except sa.exc.IntegrityError:  # the same key arrived twice at once: the first one stands
        db.session.rollback()
        seen = queries.idempotency_key(token.id, key)
        return _created(_out(db.session.get(Report, seen.report_id)), replay=True)
    return _created(body, replay=False)


@bp.get("/reports/<report_no>")
@public  # authenticated by the bearer token below, not by a session
@limiter.limit(lambda: current_app.config["API_RATE"], key_func=_token_key)
def report_status(report_no: str):
    """Where a report this organisation sent stands: the coarse status the public form's reporter
    sees, nothing about the family. Another organisation's report answers like one that does not exist."""
    token = _token()
    if token is None:
        return _error(401, "unauthorized", "API 金鑰無效或已撤銷。")
    status = services.sender_status(report_no, token) if len(report_no) <= 20 else None
    if status is None:
        return _error(404, "not_found", "查無此通報編號，或該通報不是由本機關的金鑰送出。")
    body = ReportStatusOut(report_no=report_no.strip(), state=services.PUBLIC_STATE[status],
                           status=services.PUBLIC_STATUS[status])
    return jsonify(body.model_dump())


def _out(report: Report) -> ReportOut:
    return ReportOut(report_no=report.report_no, status=report.status.label, deadline_at=report.deadline_at)


def _created(body: ReportOut, *, replay: bool):
    response = jsonify(json.loads(body.model_dump_json()))
    response.status_code = 200 if replay else 201
    if replay:
        response.headers["Idempotent-Replayed"] = "true"
    return response


@bp.get("/openapi.json")
@public
def openapi():
    return jsonify(openapi_document())


def openapi_document() -> dict:
    request_schema = ReportIn.model_json_schema(ref_template="#/components/schemas/{model}")
    response_schema = ReportOut.model_json_schema(ref_template="#/components/schemas/{model}")
    status_schema = ReportStatusOut.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas = {**request_schema.pop("$defs", {}), "ReportIn": request_schema, "ReportOut": response_schema,
               "ReportStatusOut": status_schema}
    error = {"type": "object", "required": ["error", "message"],
             "properties": {"error": {"type": "string"}, "message": {"type": "string"},
                            "fields": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}}}}
    schemas["Error"] = error
    err = lambda text: {"description": text, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}  # noqa: E731
    return {
        "openapi": "3.0.3",
        "info": {"title": "社安網協作平台 通報 API", "version": "1.0.0",
                 "description": "其他系統將通報送入縣市集中篩派案中心，並查詢自己送出通報的處理狀態。"
                                "以縣市管理者核發的 API 金鑰（Bearer）驗證；同一 Idempotency-Key 重送不會重複建立。"},
        "servers": [{"url": "/api/v1"}],
        "components": {"schemas": schemas,
                       "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
        "security": [{"bearer": []}],
        "paths": {
            "/reports": {
                "post": {
                    "operationId": "createReport",
                    "summary": "送出一筆通報",
                    "parameters": [{"name": "Idempotency-Key", "in": "header", "required": False,
                                    "schema": {"type": "string", "maxLength": 100}}],
                    "requestBody": {"required": True, "content": {"application/json": {
                        "schema": {"$ref": "#/components/schemas/ReportIn"}}}},
                    "responses": {
                        "201": {"description": "已受理", "content": {"application/json": {
                            "schema": {"$ref": "#/components/schemas/ReportOut"}}}},
                        "200": {"description": "相同 Idempotency-Key 的重送：回傳原通報", "content": {"application/json": {
                            "schema": {"$ref": "#/components/schemas/ReportOut"}}}},
                        "400": err("JSON 格式錯誤"), "401": err("金鑰無效或已撤銷"), "403": err("未獲送入通報的授權"),
                        "413": err("內容過大"),
                        "422": err("欄位驗證錯誤"), "429": err("請求過於頻繁"),
                    },
                }
            },
            "/reports/{report_no}": {
                "get": {
                    "operationId": "getReportStatus",
                    "summary": "查詢本機關送出之通報的處理狀態（不含案家資料）",
                    "parameters": [{"name": "report_no", "in": "path", "required": True, "description": "通報編號",
                                    "schema": {"type": "string", "minLength": 1, "maxLength": 20}}],
                    "responses": {
                        "200": {"description": "處理狀態", "content": {"application/json": {
                            "schema": {"$ref": "#/components/schemas/ReportStatusOut"}}}},
                        "401": err("金鑰無效或已撤銷"),
                        "404": err("查無此通報編號，或不是本機關送出的通報"), "429": err("請求過於頻繁"),
                    },
                }
            },
        },
    }
