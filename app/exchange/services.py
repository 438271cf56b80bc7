"""The exchange area's rules. They never commit: the request at the edge does."""
from __future__ import annotations

import hashlib

from ..core import tenancy
from ..core.models import utcnow
from ..extensions import db
from ..household import services as household
from ..intake import queries as intake_queries
from ..intake import services as intake
from ..intake.models import IdempotencyKey, Report
from ..intake.reference import ReportingChannel
from ..tenants.models import County
from .inbound import REGISTER_STATUSES, FhirInvalid, ReportRequest, StatusMessage
from .models import ExchangeCall, ExchangeClient, Scope, SystemKind

# The channel a client's reports arrive by when the ServiceRequest names no reporting unit.
DEFAULT_CHANNEL = {SystemKind.MENTAL_HEALTH: "18", SystemKind.SUICIDE_PREVENTION: "38", SystemKind.DRUG_CONTROL: "18",
                   SystemKind.HOSPITAL: "16", SystemKind.SCHOOL: "15", SystemKind.POLICE: "24",
                   SystemKind.SOCIAL_WELFARE: "10", SystemKind.OTHER: "39"}


def issue_client(name: str, kind: SystemKind, scopes: list[str], created_by_id: int | None) -> tuple[ExchangeClient, str]:
    """Register a system of the session's county; its token (intake's ApiToken) is returned once."""
    token, raw = intake.issue_api_token(name, ReportingChannel(DEFAULT_CHANNEL[kind]), created_by_id)
    db.session.flush()
    client = ExchangeClient(name=name, system_kind=kind, scopes=[s.value for s in Scope if s.value in scopes],
                            api_token_id=token.id, created_by_id=created_by_id)
    db.session.add(client)
    db.session.flush()
    return client, raw


def revoke_client(client: ExchangeClient) -> bool:
    if client.token.revoked_at is not None:
        return False
    client.token.revoked_at = utcnow()
    return True


def client_for_bearer(header: str) -> ExchangeClient | None:
    token = intake.token_for_bearer(header)
    if token is None:
        return None
    with tenancy.tenant_scope(token.tenant_id):
        return db.session.query(ExchangeClient).filter_by(api_token_id=token.id).first()


def log_call(client: ExchangeClient | None, operation: str, target: str, status_code: int, outcome: str,
             ip: str = "") -> ExchangeCall:
    call = ExchangeCall(client_id=client.id if client else None, operation=operation, target=target[:100],
                        status_code=status_code, outcome=outcome[:2000], ip=ip[:45])
    db.session.add(call)
    return call


def receive_report(client: ExchangeClient, county: County, data: ReportRequest, idempotency_key: str,
                   raw: bytes) -> tuple[Report, bool]:
    """The report through intake's own service, as the JSON API makes it. Returns (report, replayed)."""
    request_hash = hashlib.sha256(raw).hexdigest()
    token = client.token
    if idempotency_key:
        seen = intake_queries.idempotency_key(token.id, idempotency_key)
        if seen is not None:
            if seen.request_hash != request_hash:
                raise FhirInvalid([("Idempotency-Key", "同一個 Idempotency-Key 已用於內容不同的請求。")], 422,
                                  "duplicate")
            return db.session.get(Report, seen.report_id), True
    district = intake_queries.district_named(county.id, data.district)
    if district is None:
        raise FhirInvalid([("contained.Patient.address.district", f"{county.name}沒有名為「{data.district}」的行政區。")])
    channel = ReportingChannel(data.channel) if data.channel else token.channel
    persons = []
    for p in data.persons:
        persons.append(intake.PersonInput(name=p.name, sex=p.sex, birth_date=p.birth_date, id_number=p.id_number,
                                          relation=p.relation, phone=p.phone))
    report_input = intake.ReportInput(
        district_id=district.id, concerns=data.concerns, narrative=data.narrative, persons=persons,
        reporter=intake.ReporterInput(reporter_type="network", organisation=client.name[:100]),
        address=data.address, urgent=data.urgent, received_at=data.received_at, source_name=client.name[:100],
        api_token_id=token.id)
    try:
        report, _code = intake.receive(county, report_input, channel)
    except intake.IntakeError as exc:
        raise FhirInvalid([("contained", str(exc))]) from None
    if idempotency_key:
        db.session.add(IdempotencyKey(token_id=token.id, key=idempotency_key, request_hash=request_hash,
                                      report_id=report.id))
    token.last_used_at = utcnow()
    return report, False


def receive_status(client: ExchangeClient, message: StatusMessage):
    """A 列管 status (or its withdrawal) into the household picture, under the client's system kind as source."""
    source = client.system_kind.value
    if not message.active:
        row = household.withdraw_external_status(source=source, source_ref=message.source_ref,
                                                 reason=message.note or "來源系統解除列管")
        if row is None:
            raise FhirInvalid([("identifier", f"查無識別碼「{message.source_ref}」的列管紀錄，無從解除。")], 404,
                              "not-found")
        return row
    p = message.person
    return household.record_external_status(
        source=source, source_ref=message.source_ref, status=message.status,
        status_label=REGISTER_STATUSES[message.status], id_number=p.id_number, name=p.name, birth_date=p.birth_date,
        since=message.since, note=message.note, client_id=client.id)
