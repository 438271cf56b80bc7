"""Writing the audit log.

Two ways in: ``record()`` for events a service names (login, lockout, a state
change, a read of a family's record), and the flush hook, which records every
create, update and delete of a model marked ``__audited__`` with what changed,
so no service can forget to.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime, time, timezone

import sqlalchemy as sa
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from ..core import calendar, edge, tenancy, workflow
from ..extensions import db
from .models import AuditAction, AuditEvent

ACTOR_KEY = "audit_actor"


@dataclass(frozen=True)
class Actor:
    user_id: int | None = None
    username: str = ""
    unit_id: int | None = None
    ip: str = ""
    user_agent: str = ""


SYSTEM = Actor(username="system")


def set_actor(actor: Actor, session=None) -> None:
    (session or db.session).info[ACTOR_KEY] = actor


def current_actor(session=None) -> Actor:
    return (session or db.session).info.get(ACTOR_KEY) or SYSTEM


def _jsonable(value):
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return str(value)


def record(
    action: AuditAction,
    *,
    summary: str = "",
    record_type: str = "",
    record_id=None,
    tenant_id: int | None = None,
    changes: dict | None = None,
    actor: Actor | None = None,
    session=None,
) -> AuditEvent:
    session = session or db.session
    actor = actor or current_actor(session)
    if tenant_id is None:
        tenant_id = tenancy.current_tenant_id(session)
    entry = AuditEvent(
        tenant_id=tenant_id,
        actor_user_id=actor.user_id,
        actor_username=actor.username,
        unit_id=actor.unit_id,
        action=action,
        record_type=record_type,
        record_id="" if record_id is None else str(record_id),
        summary=summary,
        changes=changes,
        ip=actor.ip[:45],
        user_agent=actor.user_agent[:200],
    )
    session.add(entry)
    return entry


def _pk(obj):
    return inspect(obj).mapper.primary_key_from_instance(obj)[0]


def _describe(obj) -> str:
    """How an entry names its record; never fails (it runs inside a flush)."""
    try:
        return str(obj)
    except Exception:  # a relationship not loadable mid-flush: fall back to the key
        return f"{obj.__tablename__}#{_pk(obj)}"


def _record_type(obj) -> str:
    return obj.__tablename__


def _event_tenant(obj, session) -> int | None:
    if getattr(obj, "tenant_id", None) is not None:
        return obj.tenant_id
    if hasattr(obj, "audit_tenant_id"):
        tenant = obj.audit_tenant_id()
        if tenant is not None:
            return tenant
    return tenancy.current_tenant_id(session)


def _column_changes(obj, *, new: bool) -> dict:
    exclude = set(getattr(obj, "__audit_exclude__", ())) | {"created_at", "updated_at"}
    state = inspect(obj)
    changes = {}
    for attr in state.mapper.column_attrs:
        key = attr.key
        if key in exclude:
            continue
        hist = state.attrs[key].history
        if new:
            value = getattr(obj, key)
            if value is not None and value != "":
                changes[key] = [None, _jsonable(value)]
        elif hist.has_changes():
            old = hist.deleted[0] if hist.deleted else None
            new_value = hist.added[0] if hist.added else None
            if old != new_value:
                changes[key] = [_jsonable(old), _jsonable(new_value)]
    changes.update(_link_changes(obj, new=new, exclude=exclude))
    return changes


def _link_changes(obj, *, new: bool, exclude: set) -> dict:
    """Links kept in a plain table with no model of its own (``secondary=``: the districts a unit
    serves, the counties a partner works in): the names before and after, 「中正區 → 中正區、大同區」.
    Other collections are their own audited (or exempt) models."""
    state = inspect(obj)
    changes = {}
    for rel in state.mapper.relationships:
        if rel.secondary is None or rel.viewonly or rel.key in exclude:
            continue
        hist = state.attrs[rel.key].history  # never loads: an unloaded collection was not changed
        if not (hist.added or hist.deleted):
            continue
        before = "、".join(sorted(_describe(o) for o in (*hist.unchanged, *hist.deleted)))
        after = "、".join(sorted(_describe(o) for o in (*hist.unchanged, *hist.added)))
        if new and after:
            changes[rel.key] = [None, after]
        elif not new and before != after:
            changes[rel.key] = [before, after]
    return changes


def _after_flush(session, flush_context) -> None:
    for obj in list(session.new):
        if getattr(obj, "__audited__", False):
            record(
                AuditAction.CREATE,
                record_type=_record_type(obj),
                record_id=_pk(obj),
                summary=f"新增 {_describe(obj)}",
                tenant_id=_event_tenant(obj, session),
                changes=_column_changes(obj, new=True),
                session=session,
            )
    for obj in list(session.dirty):
        # collections too: a change of links only (a unit's districts) is an update of the record
        if getattr(obj, "__audited__", False) and session.is_modified(obj):
            changes = _column_changes(obj, new=False)
            if changes:
                record(
                    AuditAction.UPDATE,
                    record_type=_record_type(obj),
                    record_id=_pk(obj),
                    summary=f"修改 {_describe(obj)}",
                    tenant_id=_event_tenant(obj, session),
                    changes=changes,
                    session=session,
                )
    for obj in list(session.deleted):
        if getattr(obj, "__audited__", False):
            record(
                AuditAction.DELETE,
                record_type=_record_type(obj),
                record_id=_pk(obj),
                summary=f"刪除 {_describe(obj)}",
                tenant_id=_event_tenant(obj, session),
                session=session,
            )


def _refuse_changes_to_log(session, flush_context, instances) -> None:
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, AuditEvent) and (obj in session.deleted or session.is_modified(obj)):
            raise PermissionError("the audit log is append-only")


_installed = False


def install(app) -> None:
    global _installed
    if _installed:
        return
    event.listen(Session, "before_flush", _refuse_changes_to_log)
    event.listen(Session, "after_flush", _after_flush)
    workflow.fired.connect(_workflow_fired)
    _installed = True


def _workflow_fired(sender, firing: workflow.Firing) -> None:
    """Every transition of every workflow: one audit entry (the engine sends, audit writes). A start
    transition is not one: the new row's own CREATE entry (the flush hook) records the creation. A record
    that is no database row (the engine's own tests) has nothing to audit."""
    if firing.before is None or not hasattr(firing.record, "_sa_instance_state"):
        return
    record(AuditAction.STATE_CHANGE, record_type=firing.workflow.record_type, record_id=getattr(firing.record, "id", None),
           tenant_id=getattr(firing.record, "tenant_id", None), summary=firing.summary)


def events_query(*, username: str = "", date_from=None, date_to=None, record_type: str = "", record_id: str = ""):
    """The log, newest first, filtered as the audit page asks (tenant scoping is automatic)."""
    taipei = calendar.TAIPEI
    stmt = sa.select(AuditEvent).order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
    if username:
        stmt = stmt.where(AuditEvent.actor_username == username)
    if date_from:
        start = datetime.combine(date_from, time.min, taipei).astimezone(timezone.utc)
        stmt = stmt.where(AuditEvent.occurred_at >= start)
    if date_to:
        end = datetime.combine(date_to, time.max, taipei).astimezone(timezone.utc)
        stmt = stmt.where(AuditEvent.occurred_at <= end)
    if record_type:
        stmt = stmt.where(AuditEvent.record_type == record_type)
    if record_id:
        stmt = stmt.where(AuditEvent.record_id == record_id)
    return stmt


def read_page(respond, *, record_type: str, record_id, summary: str):
    """A page that shows a record: its read entered in the log, and committed after rendering (committing
    first would expire what the page reads). ``respond()`` renders the page."""
    record(AuditAction.READ, record_type=record_type, record_id=record_id, summary=summary)
    response = respond()
    edge.commit()
    return response
