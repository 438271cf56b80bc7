"""Read models of the home page that no other area owns: the unit's colleagues, and the
directory's size for a system administrator (who has no unit)."""
from __future__ import annotations

import sqlalchemy as sa

from ..accounts.models import Membership, User
from ..extensions import db
from ..tenants.models import County, PartnerOrganisation, Unit


def colleagues(unit_id: int) -> list:
    """(name, role) of the unit's active people, by role and name."""
    return db.session.execute(
        sa.select(User.display_name, Membership.role)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.unit_id == unit_id, User.active.is_(True))
        .order_by(Membership.role, User.display_name)
    ).all()


def directory_counts() -> dict[str, int]:
    def count(model) -> int:
        return db.session.scalar(sa.select(sa.func.count()).select_from(model))

    return {"counties": count(County), "units": count(Unit), "partners": count(PartnerOrganisation),
            "users": count(User)}
