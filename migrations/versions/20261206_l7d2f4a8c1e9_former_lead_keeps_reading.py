"""former lead keeps reading

A change of lead never leaves a unit that served the family without access: the
former lead becomes a collaborator or a read-only former lead (case_units.role
admits 'former'), as the decision says; a dispute decision records which
(``disputes.decision_former_role``). Both tables keep their policies; the new
column needs no grant of its own.

Revision ID: l7d2f4a8c1e9
Revises: h7c2e9a4f1b6
Create Date: 2026-12-06 11:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'l7d2f4a8c1e9'
down_revision = 'h7c2e9a4f1b6'
branch_labels = None
depends_on = None

ROLES = ('lead', 'collaborator')


def _allow(roles):
    if op.get_bind().dialect.name == "sqlite":
        # SQLite cannot alter a constraint: batch mode copies the table with the new column type.
        with op.batch_alter_table('case_units', recreate='always') as batch_op:
            batch_op.alter_column('role', existing_type=sa.String(12), type_=sa.Enum(
                *roles, name='case_unit_role', native_enum=False, create_constraint=True, length=12),
                existing_nullable=False)
        return
    op.drop_constraint(op.f("ck_case_units_case_unit_role"), "case_units", type_="check")
    op.create_check_constraint("case_unit_role", "case_units", sa.column("role").in_(roles))


def upgrade():
    _allow(ROLES + ('former',))
    with op.batch_alter_table('disputes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('decision_former_role', sa.String(length=20), nullable=False, server_default=''))


def downgrade():
    with op.batch_alter_table('disputes', schema=None) as batch_op:
        batch_op.drop_column('decision_former_role')
    op.execute("UPDATE case_units SET role = 'collaborator' WHERE role = 'former'")
    _allow(ROLES)
