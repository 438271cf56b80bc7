"""Factories for tests: units, users with roles, lookups of demo data."""
from __future__ import annotations

import itertools

import sqlalchemy as sa

from app.accounts.models import Membership, Role, User
from app.accounts.passwords import hash_password
from app.extensions import db
from app.tenants.models import County, Unit, UnitKind

_seq = itertools.count(1)
PASSWORD = "Test-Passw0rd-123"
_HASH = None


def county(name: str) -> County:
    return db.session.scalars(sa.select(County).where(County.name == name)).one()


def unit(name: str) -> Unit:
    return db.session.scalars(sa.select(Unit).where(Unit.name == name)).one()


def county_unit(county_name: str, kind: UnitKind) -> Unit:
    c = county(county_name)
    return db.session.scalars(sa.select(Unit).where(Unit.county_id == c.id, Unit.kind == kind).order_by(Unit.id)).first()


def user(username: str) -> User:
    return db.session.scalars(sa.select(User).where(User.username == username)).one()


def make_user(role: Role | None = None, unit_obj: Unit | None = None, *, username: str | None = None,
              sysadmin: bool = False, commit: bool = True) -> User:
    global _HASH
    if _HASH is None:
        _HASH = hash_password(PASSWORD)
    n = next(_seq)
    u = User(username=username or f"user{n}", display_name=f"測試人員{n}", password_hash=_HASH, is_sysadmin=sysadmin)
    if role is not None:
        u.memberships.append(Membership(unit=unit_obj, role=role))
    db.session.add(u)
    if commit:
        db.session.commit()
    return u
