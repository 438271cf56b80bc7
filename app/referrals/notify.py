"""In-app notifications: one row per person, unread until opened."""
from __future__ import annotations

import sqlalchemy as sa

from ..accounts.models import Membership, User
from ..core.models import utcnow
from ..extensions import db
from ..tenants.models import Unit
from .models import Notification


def people_of_unit(unit_id: int) -> list[int]:
    return list(db.session.scalars(sa.select(Membership.user_id).join(User).where(
        Membership.unit_id == unit_id, User.active.is_(True)).distinct()))


def supervisors_of_unit(unit_id: int) -> list[int]:
    from ..accounts.models import Role

    return list(db.session.scalars(sa.select(Membership.user_id).join(User).where(
        Membership.unit_id == unit_id, Membership.role == Role.SUPERVISOR, User.active.is_(True)).distinct()))


def people_of_partner(org_id: int) -> list[int]:
    return list(db.session.scalars(sa.select(Membership.user_id).join(Unit, Unit.id == Membership.unit_id).join(User)
                                   .where(Unit.partner_org_id == org_id, User.active.is_(True)).distinct()))


def notify(user_ids, text: str, url: str, *, skip: int | None = None) -> None:
    for user_id in set(user_ids) - {skip}:
        db.session.add(Notification(user_id=user_id, text=text[:300], url=url))


def unread_count(user_id: int) -> int:
    return db.session.scalar(sa.select(sa.func.count(Notification.id)).where(
        Notification.user_id == user_id, Notification.read_at.is_(None)))


def mark_read(user_id: int) -> None:
    db.session.execute(sa.update(Notification).where(Notification.user_id == user_id, Notification.read_at.is_(None))
                       .values(read_at=utcnow()))
