"""target snapshots

The 2.0 target board's nightly snapshot (issue 20): per county, measure and
period (year, half, quarter of the current and the previous year) the counts the
board shows, with the moment they were computed (「資料時點」). The board reads
them instead of counting 1.5 M reports per request; a period without a row is
counted at request time. County-owned: RLS and grants as every tenant table.

Revision ID: s5d1a8c3e9f4
Revises: t3b8e5c1a7d2
Create Date: 2026-12-06 19:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

from app.core import rls


# revision identifiers, used by Alembic.
revision = 's5d1a8c3e9f4'
down_revision = 't3b8e5c1a7d2'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('target_snapshots',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('measure_code', sa.String(length=60), nullable=False),
    sa.Column('period_kind', sa.String(length=10), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('numerator', sa.Integer(), nullable=False),
    sa.Column('denominator', sa.Integer(), nullable=True),
    sa.Column('computed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['counties.id'], name=op.f('fk_target_snapshots_tenant_id_counties')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_target_snapshots')),
    sa.UniqueConstraint('tenant_id', 'measure_code', 'period_start', 'period_end', name=op.f('uq_target_snapshots_tenant_id_measure_code_period_start_period_end'))
    )
    with op.batch_alter_table('target_snapshots', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_target_snapshots_tenant_id'), ['tenant_id'], unique=False)

    rls.grant_rw(op, "target_snapshots")
    rls.enable_tenant_rls(op, "target_snapshots")


def downgrade():
    rls.disable_tenant_rls(op, "target_snapshots")
    with op.batch_alter_table('target_snapshots', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_target_snapshots_tenant_id'))
    op.drop_table('target_snapshots')
