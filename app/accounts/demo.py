"""Demo accounts for development (never in production)."""
from __future__ import annotations

import sqlalchemy as sa
from flask import current_app

from ..core.models import utcnow
from ..extensions import db
from ..tenants.models import County, PartnerOrganisation, Unit
from .models import Membership, Role, User
from .passwords import hash_password

# username, display name, [(county or org, unit name, role)]
DEMO_USERS = [
    ("tpe.dispatch", "陳怡君", [("臺北市", "臺北市集中篩派案中心", Role.DISPATCHER)]),
    ("tpe.dsup", "林雅惠", [("臺北市", "臺北市集中篩派案中心", Role.SUPERVISOR)]),
    ("tpe.sw1", "王淑芬", [("臺北市", "臺北市中正社會福利服務中心", Role.SOCIAL_WORKER)]),
    ("tpe.sw2", "李志明", [
        ("臺北市", "臺北市中正社會福利服務中心", Role.SOCIAL_WORKER),
        ("臺北市", "臺北市萬華社會福利服務中心", Role.SOCIAL_WORKER),
    ]),
    ("tpe.sup", "張美玲", [("臺北市", "臺北市中正社會福利服務中心", Role.SUPERVISOR)]),
    ("tpe.dv1", "黃雅婷", [("臺北市", "臺北市家庭暴力暨性侵害防治中心", Role.SOCIAL_WORKER)]),
    ("tpe.dvsup", "吳建宏", [("臺北市", "臺北市家庭暴力暨性侵害防治中心", Role.SUPERVISOR)]),
    ("tpe.mh1", "劉家豪", [("臺北市", "臺北市政府衛生局社區心理衛生中心", Role.SOCIAL_WORKER)]),
    ("tpe.admin", "蔡宗翰", [("臺北市", "臺北市政府社會局", Role.COUNTY_ADMIN)]),
    ("hua.sw1", "鄭佩珊", [("花蓮縣", "花蓮縣花蓮社會福利服務中心", Role.SOCIAL_WORKER)]),
    ("hua.sup", "林秀英", [("花蓮縣", "花蓮縣花蓮社會福利服務中心", Role.SUPERVISOR)]),
    ("hua.dispatch", "高志偉", [("花蓮縣", "花蓮縣集中篩派案中心", Role.DISPATCHER)]),
    ("hua.admin", "許文傑", [("花蓮縣", "花蓮縣政府社會處", Role.COUNTY_ADMIN)]),
    ("ngo.staff", "周心怡", [("家扶基金會", "家扶基金會臺北市服務處", Role.PARTNER_STAFF)]),
    ("moh.protect", "謝政宏", [(None, "保護服務司", Role.MINISTRY_STAFF)]),
    ("moh.sfaa", "林佳蓉", [(None, "社會及家庭署", Role.MINISTRY_STAFF)]),
    ("sysadmin", "系統管理者", []),
]


# The demo's administrators must have a second factor, like real ones: fixed, published demo secrets
# (base32) so that anyone can add them to an authenticator app or run ``flask --app app totp-code
# tpe.admin``. Development only, like the password.
DEMO_TOTP_SECRETS = {
    "tpe.admin": "DEMOTPEADMIN2345DEMOTPEADMIN2345",
    "hua.admin": "DEMOHUAADMIN2345DEMOHUAADMIN2345",
    "sysadmin": "DEMOSYSADMIN2345DEMOSYSADMIN2345",
}


class DemoRefused(RuntimeError):
    pass


def _unit(owner: str | None, name: str) -> Unit:
    stmt = sa.select(Unit).where(Unit.name == name)
    if owner is None:
        stmt = stmt.where(Unit.county_id.is_(None), Unit.partner_org_id.is_(None))
    else:
        county = db.session.scalars(sa.select(County).where(County.name == owner)).first()
        if county is not None:
            stmt = stmt.where(Unit.county_id == county.id)
        else:
            org = db.session.scalars(sa.select(PartnerOrganisation).where(PartnerOrganisation.short_name == owner)).one()
            stmt = stmt.where(Unit.partner_org_id == org.id)
    return db.session.scalars(stmt).one()


def seed_demo_users() -> list[tuple[str, str, str]]:
    """Create the demo accounts if missing. Returns (username, name, where) rows to print."""
    if current_app.config["PRODUCTION"]:
        raise DemoRefused("demo accounts are never created in production")
    password_hash = hash_password(current_app.config["DEMO_PASSWORD"])
    rows = []
    for username, name, roles in DEMO_USERS:
        user = db.session.scalars(sa.select(User).where(User.username == username)).first()
        if user is None:
            user = User(username=username, display_name=name, password_hash=password_hash,
                        is_sysadmin=(username == "sysadmin"))
            db.session.add(user)
        for owner, unit_name, role in roles:
            unit = _unit(owner, unit_name)
            if not any(m.unit_id == unit.id and m.role == role for m in user.memberships):
                user.memberships.append(Membership(unit=unit, role=role))
        if username in DEMO_TOTP_SECRETS and user.totp_secret is None:
            user.totp_secret = DEMO_TOTP_SECRETS[username]
            user.totp_enabled_at = utcnow()
        where = "；".join(f"{_unit(o, u).organisation_name} {u} {r.label}" for o, u, r in roles) or "系統管理者"
        rows.append((username, name, where))
    db.session.flush()
    return rows


def describe_account(username: str) -> tuple[str, str, str]:
    """(username, name, where) of an account another area's demo data made (e.g. the investigation
    centre's staff), from its memberships, for the demo's list of logins."""
    user = db.session.scalars(sa.select(User).where(User.username == username)).one()
    where = "；".join(f"{m.unit.organisation_name} {m.unit.name} {m.role.label}" for m in user.memberships)
    return username, user.display_name, where
