"""Tenant isolation, in the app (this module) and in PostgreSQL (``rls.py``).

Every tenant-owned row carries ``tenant_id`` through :class:`TenantMixin`. The
session's tenant lives in ``session.info``:

* every ORM SELECT/UPDATE/DELETE is filtered to it (``do_orm_execute`` with
  ``with_loader_criteria``); with no tenant set, tenant rows are invisible;
* ``before_flush`` stamps new rows with it and refuses rows of another tenant;
* on PostgreSQL it is handed to row-level security with
  ``set_config('app.tenant_id', …, true)`` at the start of every transaction
  (transaction-local: nothing leaks to the next request on a pooled connection).

Crossing tenants is an explicit, named opt-out: ``with all_tenants("reason"):``.
"""
from __future__ import annotations

from contextlib import contextmanager
from functools import lru_cache

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import (
    Mapped,
    Session,
    declared_attr,
    mapped_column,
    scoped_session,
    with_loader_criteria,
)

from ..extensions import db

TENANT_KEY = "tenant_id"
ALL_TENANTS_KEY = "all_tenants"
PARTNER_KEY = "partner_org_id"


class TenantViolation(RuntimeError):
    """A write that would put or move a row into another county."""


class TenantMixin:
    """Columns and rules of every county-owned table."""

    # Rows of tables whose writes may name any county (the append-only audit
    # log) set this to False; reads stay scoped either way.
    __tenant_write_check__ = True

    @declared_attr
    def tenant_id(cls) -> Mapped[int]:
        return mapped_column(sa.ForeignKey("counties.id"), nullable=False, index=True)


class SharedMixin:
    """Rows of a closed loop between two parties (a referral and what hangs off
    it): the sending county owns them (``tenant_id``); the receiving county
    (``to_county_id``) or partner organisation (``to_partner_org_id``) sees
    and answers them too. Nobody else does, in the ORM and in PostgreSQL."""

    @declared_attr
    def tenant_id(cls) -> Mapped[int]:
        return mapped_column(sa.ForeignKey("counties.id"), nullable=False, index=True)

    @declared_attr
    def to_county_id(cls) -> Mapped[int | None]:
        return mapped_column(sa.ForeignKey("counties.id"), index=True)

    @declared_attr
    def to_partner_org_id(cls) -> Mapped[int | None]:
        return mapped_column(sa.ForeignKey("partner_organisations.id"), index=True)


class CountyOrNationalMixin:
    """Rows of meeting series that are either national (``county_id`` empty: the
    ministry's meetings) or one county's. A county sees its own and the national
    ones; everyone else (ministry, partners) only the national ones. A county
    user may write national rows (a county bureau answering a central–local
    meeting's item); nobody writes another county's."""

    @declared_attr
    def county_id(cls) -> Mapped[int | None]:
        return mapped_column(sa.ForeignKey("counties.id"), index=True)

    def audit_tenant_id(self) -> int | None:
        return self.county_id


def _session(session=None):
    """The actual Session (not the scoped proxy, which lacks some methods)."""
    session = session if session is not None else db.session
    return session() if isinstance(session, scoped_session) else session


def current_tenant_id(session=None) -> int | None:
    session = _session(session)
    return session.info.get(TENANT_KEY)


def is_all_tenants(session=None) -> bool:
    session = _session(session)
    return bool(session.info.get(ALL_TENANTS_KEY))


def _apply_pg_settings(connection, info) -> None:
    if connection.dialect.name != "postgresql":
        return
    tenant = info.get(TENANT_KEY)
    partner = info.get(PARTNER_KEY)
    connection.execute(
        sa.text("SELECT set_config('app.tenant_id', :t, true), set_config('app.all_tenants', :a, true), "
                "set_config('app.partner_org_id', :p, true)"),
        {"t": "" if tenant is None else str(tenant), "a": "on" if info.get(ALL_TENANTS_KEY) else "off",
         "p": "" if partner is None else str(partner)},
    )


def _refresh_pg_settings(session) -> None:
    """Apply a change of tenant to the transaction already under way, if any (not to one a
    failed flush has ended: leaving a scope must not hide that failure behind PendingRollbackError)."""
    transaction = session.get_transaction()
    if transaction is not None and transaction.is_active:
        _apply_pg_settings(session.connection(), session.info)


def _set(session, key: str, value) -> None:
    """Change one setting; the transaction under way hears of it only if it changed
    (nested tenant scopes for the county already in force cost no round trip)."""
    changed = key not in session.info or session.info[key] != value
    session.info[key] = value
    if changed:
        _refresh_pg_settings(session)


def set_tenant(tenant_id: int | None, session=None) -> None:
    _set(_session(session), TENANT_KEY, tenant_id)


def set_partner(partner_org_id: int | None, session=None) -> None:
    """A partner organisation's staff: no county, only what was referred to the organisation."""
    _set(_session(session), PARTNER_KEY, partner_org_id)


def current_partner_id(session=None) -> int | None:
    return _session(session).info.get(PARTNER_KEY)


@contextmanager
def tenant_scope(tenant_id: int | None, session=None):
    """Act as one county for the duration of the block (jobs, seeding)."""
    session = _session(session)
    previous = session.info.get(TENANT_KEY)
    set_tenant(tenant_id, session)
    try:
        yield
    finally:
        set_tenant(previous, session)


@contextmanager
def all_tenants(reason: str, session=None):
    """The one way to cross counties. ``reason`` names the use, for readers of the code."""
    if not reason:
        raise ValueError("all_tenants() needs a reason")
    session = _session(session)
    previous = session.info.get(ALL_TENANTS_KEY)
    session.info[ALL_TENANTS_KEY] = True
    _refresh_pg_settings(session)
    try:
        yield
    finally:
        session.info[ALL_TENANTS_KEY] = previous
        _refresh_pg_settings(session)


def _scope_orm_statements(execute_state) -> None:
    if not (execute_state.is_select or execute_state.is_update or execute_state.is_delete):
        return
    info = execute_state.session.info
    if info.get(ALL_TENANTS_KEY) or execute_state.execution_options.get("all_tenants"):
        return
    execute_state.statement = execute_state.statement.options(
        *_criteria(info.get(TENANT_KEY), info.get(PARTNER_KEY)))


@lru_cache(maxsize=1024)
def _criteria(tenant: int | None, partner: int | None) -> tuple:
    """The three scoping options for one county or partner, built once per process and reused by
    every statement (building them was ≈ 45 µs a statement; the family record runs about 40).
    The lambdas' closure values are the cache key's parameters, as when built anew."""
    if tenant is None:
        criteria = with_loader_criteria(TenantMixin, lambda cls: sa.false(), include_aliases=True)
    else:
        criteria = with_loader_criteria(
            TenantMixin, lambda cls: cls.tenant_id == tenant, include_aliases=True
        )
    if tenant is not None:
        shared = with_loader_criteria(
            SharedMixin, lambda cls: sa.or_(cls.tenant_id == tenant, cls.to_county_id == tenant), include_aliases=True
        )
    elif partner is not None:
        shared = with_loader_criteria(SharedMixin, lambda cls: cls.to_partner_org_id == partner, include_aliases=True)
    else:
        shared = with_loader_criteria(SharedMixin, lambda cls: sa.false(), include_aliases=True)
    if tenant is None:
        national = with_loader_criteria(CountyOrNationalMixin, lambda cls: cls.county_id.is_(None), include_aliases=True)
    else:
        national = with_loader_criteria(
            CountyOrNationalMixin, lambda cls: sa.or_(cls.county_id.is_(None), cls.county_id == tenant),
            include_aliases=True)
    return criteria, shared, national


def _check_writes(session, flush_context, instances) -> None:
    info = session.info
    crossing = info.get(ALL_TENANTS_KEY)
    tenant = info.get(TENANT_KEY)
    partner = info.get(PARTNER_KEY)
    for obj in list(session.new) + list(session.dirty) + list(session.deleted):
        if isinstance(obj, CountyOrNationalMixin):
            if not crossing and obj.county_id is not None and obj.county_id != tenant:
                raise TenantViolation(f"{type(obj).__name__} belongs to another county")
            continue
        if isinstance(obj, SharedMixin):
            if crossing:
                continue
            if tenant is not None and obj.tenant_id is None:
                obj.tenant_id = tenant
            parties_ok = (tenant is not None and tenant in (obj.tenant_id, obj.to_county_id)) or (
                partner is not None and partner == obj.to_partner_org_id)
            if not parties_ok:
                raise TenantViolation(f"{type(obj).__name__} written by someone not party to it")
            continue
        if not isinstance(obj, TenantMixin) or not obj.__tenant_write_check__:
            continue
        if crossing:
            if obj.tenant_id is None:
                raise TenantViolation(f"{type(obj).__name__} written across counties without a county")
            continue
        if tenant is None:
            raise TenantViolation(f"{type(obj).__name__} written with no county in context")
        if obj.tenant_id is None:
            obj.tenant_id = tenant
        elif obj.tenant_id != tenant:
            raise TenantViolation(f"{type(obj).__name__} belongs to another county")


def _after_begin(session, transaction, connection) -> None:
    _apply_pg_settings(connection, session.info)


_installed = False


def install(app) -> None:
    """Register the session hooks once per process (they apply to every Session)."""
    global _installed
    if _installed:
        return
    event.listen(Session, "do_orm_execute", _scope_orm_statements)
    event.listen(Session, "before_flush", _check_writes)
    event.listen(Session, "after_begin", _after_begin)
    _installed = True
