"""campaign list runs

A county's spring-festival visit list is computed by a job, not in the request: one row per computation
(the shared queued-document lifecycle), county-owned with row-level security like every tenant table,
keeping what the computation found (families read, listed, added, removed, the count by indicator);
and an index for reading the county's list a page at a time in its order.

Revision ID: p4c8e1a6d3f9
Revises: n3b7d9f5c2e8
Create Date: 2026-12-07 13:00:00

"""
from alembic import op
import sqlalchemy as sa

from app.core import rls


revision = 'p4c8e1a6d3f9'
down_revision = 'n3b7d9f5c2e8'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'campaign_list_runs',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('campaign_id', sa.Integer(), nullable=False),
        sa.Column('requested_by_id', sa.Integer(), nullable=True),
        sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('families', sa.Integer(), nullable=False),
        sa.Column('listed', sa.Integer(), nullable=False),
        sa.Column('added', sa.Integer(), nullable=False),
        sa.Column('removed', sa.Integer(), nullable=False),
        sa.Column('counts', sa.JSON(), nullable=False),
        sa.Column('seconds', sa.Float(), nullable=False),
        sa.Column('status', sa.Enum('queued', 'running', 'done', 'failed', name='list_run_status', native_enum=False,
                                    create_constraint=True), nullable=False),
        sa.Column('error', sa.Text(), nullable=False),
        sa.Column('job_id', sa.String(length=60), nullable=False),
        sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('tenant_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_campaign_list_runs_campaign_id_campaigns')),
        sa.ForeignKeyConstraint(['requested_by_id'], ['users.id'], name=op.f('fk_campaign_list_runs_requested_by_id_users')),
        sa.ForeignKeyConstraint(['tenant_id'], ['counties.id'], name=op.f('fk_campaign_list_runs_tenant_id_counties')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_campaign_list_runs')),
    )
    with op.batch_alter_table('campaign_list_runs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_campaign_list_runs_campaign_id'), ['campaign_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_campaign_list_runs_tenant_id'), ['tenant_id'], unique=False)
    rls.grant_rw(op, "campaign_list_runs")
    rls.enable_tenant_rls(op, "campaign_list_runs")
    # the county's list in its order (in person first, then by case), read a page at a time
    op.create_index('ix_campaign_entries_list', 'campaign_entries', ['campaign_id', 'tenant_id', 'in_person', 'case_id'])


def downgrade():
    op.drop_index('ix_campaign_entries_list', table_name='campaign_entries')
    rls.disable_tenant_rls(op, "campaign_list_runs")
    op.drop_table('campaign_list_runs')
