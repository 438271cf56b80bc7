"""Factories for tests that are about a rule, not about the demo data.

Counties are reference data (tenants.seed loads all 22): ``county()`` picks one by name or code.
Units, people with roles and family cases are made through the owning area's public services
(tenants.services, accounts.services, intake.services), never by building models where a service
exists, so a factory-made record has the history and checks a real one has:

    unit = factories.UnitFactory(county=c, kind=UnitKind.DV_CENTRE)
    centre = factories.WelfareCentreFactory(county=c)       # serves the county's first free district
    branch = factories.PartnerBranchFactory(county=c)       # a partner organisation serving the county
    sw = factories.UserFactory(unit=centre, role=Role.SOCIAL_WORKER)   # password PASSWORD
    admin = factories.UserFactory(unit=bureau, role=Role.COUNTY_ADMIN)  # with a second factor, as required
    case = factories.FamilyCaseFactory(lead=centre)          # received, claimed and dispatched by a dispatcher

The lookups of demo data (``unit("臺北市中正社會福利服務中心")``, ``user("tpe.sw1")``) stay for the
tests that are about the demo accounts. A county with no seeded welfare centre and no demo account
(``CLEAN_COUNTY``) gives a test a world of its own.
"""
from __future__ import annotations

import itertools
from datetime import date

import factory
import pyotp
import sqlalchemy as sa

from app.accounts import services as accounts
from app.accounts.models import Membership, Role, User
from app.accounts.passwords import hash_password
from app.cases.models import FamilyCase
from app.core import tenancy
from app.extensions import db
from app.intake import services as intake
from app.intake.reference import ReportingChannel
from app.tenants import services as tenants
from app.tenants.models import County, PartnerOrganisation, Unit, UnitKind

_seq = itertools.count(1)
PASSWORD = "Test-Passw0rd-123"
CLEAN_COUNTY = "澎湖縣"  # reference data only: no welfare centre, partner or person is seeded there
_HASH = None


def _password_hash() -> str:
    global _HASH
    if _HASH is None:
        _HASH = hash_password(PASSWORD)
    return _HASH


# --- Lookups of reference and demo data -----------------------------------------------------------

def county(name_or_code: str) -> County:
    return db.session.scalars(sa.select(County).where(sa.or_(County.name == name_or_code,
                                                             County.code == name_or_code))).one()


def unit(name: str) -> Unit:
    return db.session.scalars(sa.select(Unit).where(Unit.name == name)).one()


def county_unit(county_name: str, kind: UnitKind) -> Unit:
    c = county(county_name)
    return db.session.scalars(sa.select(Unit).where(Unit.county_id == c.id, Unit.kind == kind).order_by(Unit.id)).first()


def user(username: str) -> User:
    return db.session.scalars(sa.select(User).where(User.username == username)).one()


def make_user(role: Role | None = None, unit_obj: Unit | None = None, *, username: str | None = None,
              sysadmin: bool = False, commit: bool = True) -> User:
    """A person with at most one role, built directly (a system administrator has no unit: no service
    makes one). Prefer ``UserFactory`` for a person with roles."""
    n = next(_seq)
    u = User(username=username or f"user{n}", display_name=f"測試人員{n}", password_hash=_password_hash(),
             is_sysadmin=sysadmin)
    if role is not None:
        u.memberships.append(Membership(unit=unit_obj, role=role))
    db.session.add(u)
    if commit:
        db.session.commit()
    return u


# --- Factories ----------------------------------------------------------------------------------

def _clean_county():
    return county(CLEAN_COUNTY)


class UnitFactory(factory.Factory):
    """A county unit of a kind (not a welfare centre: see WelfareCentreFactory), through
    tenants.services.save_county_unit."""

    class Meta:
        model = Unit

    county = factory.LazyFunction(_clean_county)
    kind = UnitKind.DV_CENTRE
    name = factory.Sequence(lambda n: f"測試單位{n}")
    short_name = factory.LazyAttribute(lambda o: o.name[:10])
    phone = "02-2345-6789"
    district_ids = factory.LazyFunction(list)
    is_active = True

    @classmethod
    def _create(cls, model_class, *, county, **fields):
        return tenants.save_county_unit(county, None, **fields)

    _build = _create


def _free_districts(o) -> list[int]:
    """The county's first district no active welfare centre serves yet."""
    free = [d for d in sorted(o.county.districts, key=lambda d: d.sort_order)
            if not tenants.district_conflicts(o.county, [d.id], None)]
    assert free, f"every district of {o.county.name} already has a welfare centre: pass district_ids"
    return [free[0].id]


class WelfareCentreFactory(UnitFactory):
    """A 社福中心 serving one district of its county (by default the first one no other centre serves)."""

    kind = UnitKind.WELFARE_CENTRE
    name = factory.Sequence(lambda n: f"測試社會福利服務中心{n}")
    district_ids = factory.LazyAttribute(_free_districts)


class PartnerOrganisationFactory(factory.Factory):
    """A partner organisation (民間團體) serving the counties given, through tenants.services.save_partner."""

    class Meta:
        model = PartnerOrganisation

    name = factory.Sequence(lambda n: f"財團法人測試社會福利基金會{n}")
    short_name = factory.Sequence(lambda n: f"測試基金會{n}")
    counties = factory.LazyFunction(lambda: [_clean_county()])
    is_active = True

    @classmethod
    def _create(cls, model_class, *, counties, **fields):
        return tenants.save_partner(None, county_ids=[c.id for c in counties], **fields)

    _build = _create


class PartnerBranchFactory(factory.Factory):
    """A partner organisation's service unit (服務處) in a county it serves, through tenants.services.add_branch."""

    class Meta:
        model = Unit

    county = factory.LazyFunction(_clean_county)
    organisation = factory.LazyAttribute(lambda o: PartnerOrganisationFactory(counties=[o.county]))
    name = factory.Sequence(lambda n: f"測試服務處{n}")
    phone = "02-2345-6789"

    @classmethod
    def _create(cls, model_class, *, county, organisation, name, phone):
        return tenants.add_branch(organisation, name=name, county_id=county.id, phone=phone)

    _build = _create


class UserFactory(factory.Factory):
    """A person with a role in a unit (more with ``extra_roles=[(unit, role), …]``), through
    accounts.services.create_user and grant_role. The password is ``PASSWORD`` and need not be
    changed; roles that require a second factor (county administrator) get one enrolled, so
    ``as_user(user.username, PASSWORD)`` logs in."""

    class Meta:
        model = User

    username = factory.Sequence(lambda n: f"fac.user{n}")
    display_name = factory.Sequence(lambda n: f"測試人員{n}")
    email = ""
    unit = factory.LazyFunction(lambda: WelfareCentreFactory())
    role = Role.SOCIAL_WORKER
    extra_roles = factory.LazyFunction(list)

    @classmethod
    def _create(cls, model_class, *, unit, role, extra_roles, **fields):
        person, _temporary = accounts.create_user(unit=unit, role=role, **fields)
        for other_unit, other_role in extra_roles:
            accounts.grant_role(person, other_unit, other_role)
        person.password_hash = _password_hash()
        person.must_change_password = False
        if person.must_have_totp:
            secret = accounts.start_totp_enrolment(person)
            accounts.confirm_totp_enrolment(person, pyotp.TOTP(secret).now())
        db.session.flush()
        return person

    _build = _create


def membership(person: User, unit_obj: Unit | None = None) -> Membership:
    """The person's membership (in that unit, when they have several)."""
    return next(m for m in person.memberships if unit_obj is None or m.unit_id == unit_obj.id)


class FamilyCaseFactory(factory.Factory):
    """A family case as a report makes one: received in the lead unit's county, claimed by a dispatcher
    and dispatched to the lead unit (intake.services.receive, claim, dispatch), so it is awaiting
    assignment with its report, transitions and timeline. ``persons`` are intake.PersonInput."""

    class Meta:
        model = FamilyCase  # made by intake.services.dispatch

    lead = factory.LazyFunction(lambda: WelfareCentreFactory())
    district = factory.LazyAttribute(lambda o: next(iter(o.lead.districts), None) or o.lead.county.districts[0])
    dispatcher = factory.LazyAttribute(lambda o: UserFactory(
        unit=county_unit(o.lead.county.name, UnitKind.DISPATCH_CENTRE), role=Role.DISPATCHER))
    concerns = ("vulnerable_family",)
    persons = factory.LazyFunction(lambda: [
        intake.PersonInput("王小明", "M", date(2016, 1, 1), relation="child"),
        intake.PersonInput("王媽媽", "F", date(1988, 2, 2), relation="mother")])
    narrative = "測試"
    channel = "36"
    received_at = None
    dispatch_options = factory.LazyFunction(dict)  # collaborators=, child_grade=, child_class=

    @classmethod
    def _create(cls, model_class, *, lead, district, dispatcher, concerns, persons, narrative, channel, received_at,
                dispatch_options):
        home = lead.county
        with tenancy.tenant_scope(home.id):
            report, _code = intake.receive(home, intake.ReportInput(
                district_id=district.id, concerns=list(concerns), narrative=narrative, persons=list(persons),
                received_at=received_at), ReportingChannel(channel))
            intake.claim(report, dispatcher)
            return intake.dispatch(report, dispatcher, lead, **dispatch_options)

    _build = _create
