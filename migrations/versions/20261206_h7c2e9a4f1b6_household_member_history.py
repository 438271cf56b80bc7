"""household member history

Household members can be added, corrected and ended on the family record
(issue 18, defect 3). ``case_members`` gets the end of a membership
(``ended_on``, ``end_reason`` 遷出/死亡/其他, ``end_note``): an ended member stays
on the record with all it was part of. ``case_member_changes`` keeps each
correction of a name, ID number or birth date and each end of a membership with
the previous value, who and when (county-owned: RLS and grants as every tenant
table).

Revision ID: h7c2e9a4f1b6
Revises: c3e5a7b9d1f4
Create Date: 2026-12-06 10:45:00.000000

"""
from alembic import op
import sqlalchemy as sa

from app.core import rls


# revision identifiers, used by Alembic.
revision = 'h7c2e9a4f1b6'
down_revision = 'c3e5a7b9d1f4'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('case_members', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ended_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('end_reason', sa.String(length=20), server_default='', nullable=False))
        batch_op.add_column(sa.Column('end_note', sa.String(length=200), server_default='', nullable=False))

    op.create_table('case_member_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('field', sa.String(length=20), nullable=False),
    sa.Column('old_value', sa.String(length=200), nullable=False),
    sa.Column('new_value', sa.String(length=200), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('actor_name', sa.String(length=60), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_case_member_changes_actor_id_users')),
    sa.ForeignKeyConstraint(['member_id'], ['case_members.id'], name=op.f('fk_case_member_changes_member_id_case_members'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id', 'case_id'], ['family_cases.tenant_id', 'family_cases.id'], name=op.f('fk_case_member_changes_tenant_id_family_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['counties.id'], name=op.f('fk_case_member_changes_tenant_id_counties')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_member_changes'))
    )
    with op.batch_alter_table('case_member_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_member_changes_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_case_member_changes_tenant_id'), ['tenant_id'], unique=False)
        batch_op.create_index('ix_case_member_changes_member', ['member_id', 'at'], unique=False)

    rls.grant_rw(op, "case_member_changes")
    rls.enable_tenant_rls(op, "case_member_changes")


def downgrade():
    rls.disable_tenant_rls(op, "case_member_changes")
    with op.batch_alter_table('case_member_changes', schema=None) as batch_op:
        batch_op.drop_index('ix_case_member_changes_member')
        batch_op.drop_index(batch_op.f('ix_case_member_changes_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_case_member_changes_case_id'))
    op.drop_table('case_member_changes')

    with op.batch_alter_table('case_members', schema=None) as batch_op:
        batch_op.drop_column('end_note')
        batch_op.drop_column('end_reason')
        batch_op.drop_column('ended_on')
