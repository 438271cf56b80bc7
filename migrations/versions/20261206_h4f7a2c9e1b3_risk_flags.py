"""risk flags

The household picture's risk flags (風險預警) in force per report and per open case: county-owned
(RLS and grants as every tenant table); an index of case members by name and birth date for the
picture's matching.

Revision ID: h4f7a2c9e1b3
Revises: x2e5a8b3d1f4
Create Date: 2026-12-06 21:30:00

"""
from alembic import op
import sqlalchemy as sa

from app.core import rls


revision = 'h4f7a2c9e1b3'
down_revision = 'x2e5a8b3d1f4'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('risk_flags',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('subject', sa.Enum('report', 'case', name='risk_subject', native_enum=False, create_constraint=True, length=6), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=10), nullable=False),
    sa.Column('level', sa.Integer(), nullable=False),
    sa.Column('label', sa.String(length=200), nullable=False),
    sa.Column('facts', sa.JSON(), nullable=False),
    sa.Column('rules_version', sa.String(length=20), nullable=False),
    sa.Column('raised_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('evaluated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['counties.id'], name=op.f('fk_risk_flags_tenant_id_counties')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_risk_flags')),
    sa.UniqueConstraint('tenant_id', 'subject', 'subject_id', 'key', name='uq_risk_flags_subject_key')
    )
    with op.batch_alter_table('risk_flags', schema=None) as batch_op:
        batch_op.create_index('ix_risk_flags_subject', ['subject', 'subject_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_risk_flags_tenant_id'), ['tenant_id'], unique=False)

    rls.grant_rw(op, 'risk_flags')
    rls.enable_tenant_rls(op, 'risk_flags')

    # the household picture matches case members by name and birth date, also across counties
    with op.batch_alter_table('case_members', schema=None) as batch_op:
        batch_op.create_index('ix_case_members_name_birth', ['name', 'birth_date'], unique=False)


def downgrade():
    with op.batch_alter_table('case_members', schema=None) as batch_op:
        batch_op.drop_index('ix_case_members_name_birth')
    rls.disable_tenant_rls(op, 'risk_flags')
    with op.batch_alter_table('risk_flags', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_risk_flags_tenant_id'))
        batch_op.drop_index('ix_risk_flags_subject')
    op.drop_table('risk_flags')
