"""Family-case rules that step 2 needs: a dispatched report opens a case in its
lead unit's inbox, or joins the family's open case. Step 3 adds the rest."""
from __future__ import annotations

import sqlalchemy as sa

from ..core.filters import TAIPEI
from ..core.models import utcnow
from ..core.sequences import next_value
from ..extensions import db
from ..tenants.models import County, Unit
from .models import CaseMember, CaseStatus, CaseUnit, CaseUnitRole, FamilyCase, OPEN_STATUSES


def _case_no(county_id: int) -> str:
    county = db.session.get(County, county_id)
    year = utcnow().astimezone(TAIPEI).year - 1911
    n = next_value(f"case:{county.code}", str(year))
    return f"{year}-{county.code[:5]}-{n:06d}"


def family_name_for(report) -> str:
    from ..intake.reference import Relation

    subject = next((p for p in report.persons if p.relation == Relation.SUBJECT and p.name), None)
    named = subject or next((p for p in report.persons if p.name), None)
    if named is None:
        return "（姓名不詳）案家"
    return f"{named.name[0]}○○家" if len(named.name) > 1 else f"{named.name}家"


def open_from_report(report, lead: Unit, collaborators: list[Unit]) -> FamilyCase:
    case = FamilyCase(
        tenant_id=report.tenant_id,
        case_no=_case_no(report.tenant_id),
        family_name=family_name_for(report),
        status=CaseStatus.AWAITING_ASSIGNMENT,
        district_id=report.district_id,
        address=report.address,
        received_at=report.received_at,
        concerns=list(report.concerns),
        child_grade=report.child_grade.value if report.child_grade else "",
        child_class=report.child_class.value if report.child_class else "",
    )
    case.units.append(CaseUnit(unit_id=lead.id, role=CaseUnitRole.LEAD))
    for unit in collaborators:
        case.units.append(CaseUnit(unit_id=unit.id, role=CaseUnitRole.COLLABORATOR))
    for person in report.persons:
        case.members.append(CaseMember(name=person.name, sex=person.sex, birth_date=person.birth_date,
                                       estimated_age=person.estimated_age, id_number=person.id_number,
                                       relation=person.relation))
    db.session.add(case)
    db.session.flush()
    return case


def attach_report(case: FamilyCase, report, lead: Unit, collaborators: list[Unit]) -> FamilyCase:
    """A new report about a family with an open case joins that case; units not
    yet on it join as collaborators (the lead stays the lead: one lead, always)."""
    if case.status not in OPEN_STATUSES:
        from ..intake.services import IntakeError

        raise IntakeError(f"個案 {case.case_no} 已{case.status.label}，請改為開新案。")
    on_case = {u.unit_id for u in case.units}
    for unit in [lead, *collaborators]:
        if unit.id not in on_case:
            case.units.append(CaseUnit(unit_id=unit.id, role=CaseUnitRole.COLLABORATOR))
            on_case.add(unit.id)
    known = {(m.name, m.birth_date) for m in case.members}
    for person in report.persons:
        if (person.name, person.birth_date) not in known:
            case.members.append(CaseMember(name=person.name, sex=person.sex, birth_date=person.birth_date,
                                           estimated_age=person.estimated_age, id_number=person.id_number,
                                           relation=person.relation))
    case.concerns = list(dict.fromkeys([*case.concerns, *report.concerns]))
    db.session.flush()
    return case


def inbox_stmt(unit_id: int):
    """Cases where the unit is lead or collaborator, newest first."""
    from sqlalchemy.orm import selectinload

    return (
        sa.select(FamilyCase)
        .join(CaseUnit, CaseUnit.case_id == FamilyCase.id)
        .where(CaseUnit.unit_id == unit_id)
        .options(selectinload(FamilyCase.units))
        .order_by(FamilyCase.received_at.desc())
    )


def case_for_unit(case_id: int, unit_id: int) -> FamilyCase | None:
    """The case, if the unit is on it (lead or collaborator); else None (answered 404)."""
    return db.session.scalars(
        sa.select(FamilyCase).join(CaseUnit, CaseUnit.case_id == FamilyCase.id)
        .where(FamilyCase.id == case_id, CaseUnit.unit_id == unit_id)
    ).first()
