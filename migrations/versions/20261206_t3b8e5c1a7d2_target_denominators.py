"""target denominators

The 2.0 target board (issue 20): where a target's denominator lives outside the
platform (e.g. all new parents in the county), the county administrator enters
it per measure and ROC year with its source (「戶政司出生登記（115年）」), who
and when. County-owned: RLS and grants as every tenant table; audited.

Revision ID: t3b8e5c1a7d2
Revises: p3b8e5c1d7a2
Create Date: 2026-12-06 18:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

from app.core import rls


# revision identifiers, used by Alembic.
revision = 't3b8e5c1a7d2'
down_revision = 'p3b8e5c1d7a2'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('target_denominators',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('measure_code', sa.String(length=60), nullable=False),
    sa.Column('roc_year', sa.Integer(), nullable=False),
    sa.Column('value', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=200), nullable=False),
    sa.Column('entered_by_id', sa.Integer(), nullable=True),
    sa.Column('entered_by_name', sa.String(length=60), nullable=False),
    sa.Column('entered_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['entered_by_id'], ['users.id'], name=op.f('fk_target_denominators_entered_by_id_users')),
    sa.ForeignKeyConstraint(['tenant_id'], ['counties.id'], name=op.f('fk_target_denominators_tenant_id_counties')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_target_denominators')),
    sa.UniqueConstraint('tenant_id', 'measure_code', 'roc_year', name=op.f('uq_target_denominators_tenant_id_measure_code_roc_year'))
    )
    with op.batch_alter_table('target_denominators', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_target_denominators_tenant_id'), ['tenant_id'], unique=False)

    rls.grant_rw(op, "target_denominators")
    rls.enable_tenant_rls(op, "target_denominators")


def downgrade():
    rls.disable_tenant_rls(op, "target_denominators")
    with op.batch_alter_table('target_denominators', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_target_denominators_tenant_id'))
    op.drop_table('target_denominators')
