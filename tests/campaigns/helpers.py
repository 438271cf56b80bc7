"""What the campaign tests and the report tests share that is not a fixture."""
import sqlalchemy as sa

from app.cases.models import CaseMember
from app.extensions import db


def visit_child(case_id):
    """The case's child, as the visit form names it."""
    child = db.session.scalars(sa.select(CaseMember).where(CaseMember.case_id == case_id,
                                                       CaseMember.relation == "child")).one()
    return {"member_id": child.id, "name": child.name}
