"""retention review

Counties get ``retention_years`` (default 7, 1–30); ``retention_decisions``
holds each county administrator's decision on a closed case past it
(county-owned: RLS and grants as every tenant table). The reports' links to
each other (duplicate_of_id, transferred_from_id, transferred_to_id) get the
indexes their foreign keys lacked: deleting a report scanned the table three
times to check them.

Revision ID: f4b8c2d6e0a1
Revises: d8aa53aad8ca
Create Date: 2026-12-02 05:45:00.000000

"""
from alembic import op
import sqlalchemy as sa

from app.core import rls


# revision identifiers, used by Alembic.
revision = 'f4b8c2d6e0a1'
down_revision = 'd8aa53aad8ca'
branch_labels = None
depends_on = None

REPORT_LINKS = ('duplicate_of_id', 'transferred_from_id', 'transferred_to_id')


def upgrade():
    with op.batch_alter_table('counties', schema=None) as batch_op:
        batch_op.add_column(sa.Column('retention_years', sa.Integer(), server_default='7', nullable=False))
        batch_op.create_check_constraint('retention_years_range', 'retention_years BETWEEN 1 AND 30')

    op.create_table('retention_decisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('case_no', sa.String(length=30), nullable=False),
    sa.Column('decision', sa.Enum('retain_until', 'dispose', name='retention_choice', native_enum=False, create_constraint=True, length=12), nullable=False),
    sa.Column('retain_until', sa.Date(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('closed_on', sa.Date(), nullable=False),
    sa.Column('retention_years', sa.Integer(), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('disposed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("(decision = 'retain_until') = (retain_until IS NOT NULL)", name=op.f('ck_retention_decisions_retain_has_date')),
    sa.ForeignKeyConstraint(['case_id'], ['family_cases.id'], name=op.f('fk_retention_decisions_case_id_family_cases'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_retention_decisions_decided_by_id_users')),
    sa.ForeignKeyConstraint(['tenant_id'], ['counties.id'], name=op.f('fk_retention_decisions_tenant_id_counties')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_retention_decisions'))
    )
    with op.batch_alter_table('retention_decisions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_retention_decisions_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_retention_decisions_decided_by_id'), ['decided_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_retention_decisions_tenant_id'), ['tenant_id'], unique=False)
        batch_op.create_index('ix_retention_decisions_case', ['tenant_id', 'case_id', 'decided_at'], unique=False)

    rls.grant_rw(op, "retention_decisions")
    rls.enable_tenant_rls(op, "retention_decisions")

    with op.batch_alter_table('reports', schema=None) as batch_op:
        for column in REPORT_LINKS:
            batch_op.create_index(batch_op.f(f'ix_reports_{column}'), [column], unique=False)


def downgrade():
    with op.batch_alter_table('reports', schema=None) as batch_op:
        for column in REPORT_LINKS:
            batch_op.drop_index(batch_op.f(f'ix_reports_{column}'))

    rls.disable_tenant_rls(op, "retention_decisions")
    with op.batch_alter_table('retention_decisions', schema=None) as batch_op:
        batch_op.drop_index('ix_retention_decisions_case')
        batch_op.drop_index(batch_op.f('ix_retention_decisions_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_retention_decisions_decided_by_id'))
        batch_op.drop_index(batch_op.f('ix_retention_decisions_case_id'))

    op.drop_table('retention_decisions')
    with op.batch_alter_table('counties', schema=None) as batch_op:
        batch_op.drop_constraint('retention_years_range', type_='check')
        batch_op.drop_column('retention_years')
