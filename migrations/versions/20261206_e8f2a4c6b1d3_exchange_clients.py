"""exchange clients and their calls

The county's registered systems of the FHIR exchange (a client names its intake API token and its
scopes) and the log of their calls: county-owned (RLS and grants as every tenant table).

Revision ID: e8f2a4c6b1d3
Revises: d0c5a1e7b3f9
Create Date: 2026-12-06 21:55:00

"""
from alembic import op
import sqlalchemy as sa

from app.core import rls


# revision identifiers, used by Alembic.
revision = 'e8f2a4c6b1d3'
down_revision = 'd0c5a1e7b3f9'
branch_labels = None
depends_on = None

KINDS = ('mental_health', 'suicide_prevention', 'drug_control', 'hospital', 'school', 'police', 'social_welfare',
         'other')


def upgrade():
    op.create_table('exchange_clients',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('system_kind', sa.Enum(*KINDS, name='system_kind', native_enum=False, create_constraint=True,
                                     length=18), nullable=False),
    sa.Column('scopes', sa.JSON(), nullable=False),
    sa.Column('api_token_id', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['api_token_id'], ['api_tokens.id'], name=op.f('fk_exchange_clients_api_token_id_api_tokens')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_exchange_clients_created_by_id_users')),
    sa.ForeignKeyConstraint(['tenant_id'], ['counties.id'], name=op.f('fk_exchange_clients_tenant_id_counties')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_exchange_clients')),
    sa.UniqueConstraint('api_token_id', name=op.f('uq_exchange_clients_api_token_id'))
    )
    with op.batch_alter_table('exchange_clients', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_exchange_clients_tenant_id'), ['tenant_id'], unique=False)
    op.create_table('exchange_calls',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('operation', sa.String(length=60), nullable=False),
    sa.Column('target', sa.String(length=100), nullable=False),
    sa.Column('status_code', sa.Integer(), nullable=False),
    sa.Column('outcome', sa.Text(), nullable=False),
    sa.Column('ip', sa.String(length=45), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['client_id'], ['exchange_clients.id'], name=op.f('fk_exchange_calls_client_id_exchange_clients')),
    sa.ForeignKeyConstraint(['tenant_id'], ['counties.id'], name=op.f('fk_exchange_calls_tenant_id_counties')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_exchange_calls'))
    )
    with op.batch_alter_table('exchange_calls', schema=None) as batch_op:
        batch_op.create_index('ix_exchange_calls_client_at', ['client_id', 'at'], unique=False)
        batch_op.create_index(batch_op.f('ix_exchange_calls_tenant_id'), ['tenant_id'], unique=False)

    for table in ('exchange_clients', 'exchange_calls'):
        rls.grant_rw(op, table)
        rls.enable_tenant_rls(op, table)


def downgrade():
    for table in ('exchange_calls', 'exchange_clients'):
        rls.disable_tenant_rls(op, table)
    with op.batch_alter_table('exchange_calls', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_exchange_calls_tenant_id'))
        batch_op.drop_index('ix_exchange_calls_client_at')
    op.drop_table('exchange_calls')
    with op.batch_alter_table('exchange_clients', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_exchange_clients_tenant_id'))
    op.drop_table('exchange_clients')
