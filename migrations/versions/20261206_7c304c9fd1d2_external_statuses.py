"""external statuses

What other systems of the county have sent about a person (外部系統列管狀態), for the household
picture: county-owned (RLS and grants as every tenant table).

Revision ID: 7c304c9fd1d2
Revises: s5d1a8c3e9f4
Create Date: 2026-12-06 21:05:36.323578

"""
from alembic import op
import sqlalchemy as sa

from app.core import rls


# revision identifiers, used by Alembic.
revision = '7c304c9fd1d2'
down_revision = 's5d1a8c3e9f4'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('external_statuses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=40), nullable=False),
    sa.Column('source_ref', sa.String(length=100), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=True),
    sa.Column('id_number', sa.String(length=10), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('birth_date', sa.Date(), nullable=True),
    sa.Column('status', sa.String(length=40), nullable=False),
    sa.Column('status_label', sa.String(length=60), nullable=False),
    sa.Column('since', sa.Date(), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('withdraw_reason', sa.Text(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['counties.id'], name=op.f('fk_external_statuses_tenant_id_counties')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_external_statuses')),
    sa.UniqueConstraint('tenant_id', 'source', 'source_ref', name='uq_external_statuses_source_ref')
    )
    with op.batch_alter_table('external_statuses', schema=None) as batch_op:
        batch_op.create_index('ix_external_statuses_id_number', ['tenant_id', 'id_number'], unique=False)
        batch_op.create_index('ix_external_statuses_name_birth', ['tenant_id', 'name', 'birth_date'], unique=False)
        batch_op.create_index(batch_op.f('ix_external_statuses_tenant_id'), ['tenant_id'], unique=False)

    rls.grant_rw(op, 'external_statuses')
    rls.enable_tenant_rls(op, 'external_statuses')



def downgrade():
    rls.disable_tenant_rls(op, 'external_statuses')
    with op.batch_alter_table('external_statuses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_external_statuses_tenant_id'))
        batch_op.drop_index('ix_external_statuses_name_birth')
        batch_op.drop_index('ix_external_statuses_id_number')

    op.drop_table('external_statuses')
