"""What an administrator may see and manage: one county, or everything for a
system administrator. Users and units are a shared directory, so the county
boundary is drawn here, in one place, and tested by the access matrix."""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask import abort, g
from flask_login import current_user

from ..extensions import db
from ..tenants.models import COUNTY_UNIT_KINDS, Unit
from .models import Membership, Role, User


@dataclass(frozen=True)
class AdminScope:
    county_id: int | None  # None: every county, partners and the ministry (system administrator)

    @property
    def is_global(self) -> bool:
        return self.county_id is None


def admin_scope() -> AdminScope:
    membership = getattr(g, "membership", None)
    if membership is not None and membership.role == Role.COUNTY_ADMIN:
        return AdminScope(county_id=membership.county_id)
    if current_user.is_authenticated and current_user.is_sysadmin:
        return AdminScope(county_id=None)
    abort(403)


def manageable_units(scope: AdminScope) -> list[Unit]:
    stmt = sa.select(Unit).where(Unit.is_active.is_(True)).order_by(Unit.county_id, Unit.kind, Unit.name)
    if not scope.is_global:
        stmt = stmt.where(Unit.county_id == scope.county_id, Unit.kind.in_(_county_kinds()))
    return list(db.session.scalars(stmt))


def _county_kinds():
    return COUNTY_UNIT_KINDS


def unit_in_scope(unit_id: int, scope: AdminScope) -> Unit:
    unit = db.session.get(Unit, unit_id)
    if unit is None or (not scope.is_global and (unit.county_id != scope.county_id or not unit.is_county_unit)):
        abort(404)
    return unit


def users_stmt(scope: AdminScope, search: str = ""):
    stmt = sa.select(User).order_by(User.username)
    if not scope.is_global:
        in_county = (
            sa.select(Membership.user_id)
            .join(Unit, Unit.id == Membership.unit_id)
            .where(Unit.county_id == scope.county_id, Unit.kind.in_(_county_kinds()))
        )
        stmt = stmt.where(User.id.in_(in_county), User.is_sysadmin.is_(False))
    if search:
        like = f"%{search.strip()}%"
        stmt = stmt.where(sa.or_(User.username.ilike(like), User.display_name.ilike(like)))
    return stmt


def user_in_scope(user_id: int, scope: AdminScope) -> User:
    user = db.session.scalars(users_stmt(scope).where(User.id == user_id)).first()
    if user is None:
        abort(404)
    return user


def memberships_in_scope(user: User, scope: AdminScope) -> list[Membership]:
    if scope.is_global:
        return list(user.memberships)
    return [m for m in user.memberships if m.unit.county_id == scope.county_id and m.unit.is_county_unit]


def wholly_in_scope(user: User, scope: AdminScope) -> bool:
    """May this administrator act on the account itself (not only their county's roles)?"""
    return scope.is_global or len(memberships_in_scope(user, scope)) == len(user.memberships)
