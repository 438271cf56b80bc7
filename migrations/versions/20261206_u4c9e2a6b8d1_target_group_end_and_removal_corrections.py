"""target-group marks can end; removal outcomes can be corrected

社安網2.0 (issue 20): a family's or member's target-group mark is ended with the last day it applied and a
reason (``case_target_groups.ended_on``, ``end_reason``, ``ended_by_id``, ``ended_at``; the mark stays on the
record), and a 性影像移除 request's recorded outcome can be corrected with a reason: each correction keeps
the old and the new value (``image_removal_corrections``, county-owned: RLS and grants as every tenant table).

Revision ID: u4c9e2a6b8d1
Revises: 7c304c9fd1d2
Create Date: 2026-12-06 21:30:00.000000

"""
from alembic import op
import sqlalchemy as sa

from app.core import rls


# revision identifiers, used by Alembic.
revision = 'u4c9e2a6b8d1'
down_revision = '7c304c9fd1d2'
branch_labels = None
depends_on = None

OUTCOMES = ('pending', 'removed', 'refused')


def upgrade():
    with op.batch_alter_table('case_target_groups', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ended_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('end_reason', sa.String(length=200), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('ended_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_case_target_groups_ended_by_id_users'), 'users', ['ended_by_id'], ['id'])
    op.create_table('image_removal_corrections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('old_outcome', sa.Enum(*OUTCOMES, name='removal_old_outcome', native_enum=False, create_constraint=True, length=7), nullable=False),
    sa.Column('old_outcome_on', sa.Date(), nullable=True),
    sa.Column('new_outcome', sa.Enum(*OUTCOMES, name='removal_new_outcome', native_enum=False, create_constraint=True, length=7), nullable=False),
    sa.Column('new_outcome_on', sa.Date(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('actor_name', sa.String(length=60), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_image_removal_corrections_actor_id_users')),
    sa.ForeignKeyConstraint(['request_id'], ['image_removal_requests.id'], name=op.f('fk_image_removal_corrections_request_id_image_removal_requests'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id', 'case_id'], ['family_cases.tenant_id', 'family_cases.id'], name=op.f('fk_image_removal_corrections_tenant_id_family_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['counties.id'], name=op.f('fk_image_removal_corrections_tenant_id_counties')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_image_removal_corrections'))
    )
    with op.batch_alter_table('image_removal_corrections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_image_removal_corrections_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_image_removal_corrections_request_id'), ['request_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_image_removal_corrections_tenant_id'), ['tenant_id'], unique=False)
    rls.grant_rw(op, 'image_removal_corrections')
    rls.enable_tenant_rls(op, 'image_removal_corrections')


def downgrade():
    rls.disable_tenant_rls(op, 'image_removal_corrections')
    with op.batch_alter_table('image_removal_corrections', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_image_removal_corrections_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_image_removal_corrections_request_id'))
        batch_op.drop_index(batch_op.f('ix_image_removal_corrections_case_id'))
    op.drop_table('image_removal_corrections')
    with op.batch_alter_table('case_target_groups', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_case_target_groups_ended_by_id_users'), type_='foreignkey')
        batch_op.drop_column('ended_at')
        batch_op.drop_column('ended_by_id')
        batch_op.drop_column('end_reason')
        batch_op.drop_column('ended_on')
