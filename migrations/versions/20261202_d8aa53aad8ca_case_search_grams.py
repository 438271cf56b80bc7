"""case search grams

The case search index (app/cases/search_index.py): n-grams of members' names
and phones and of cases' phones, searched by equality so that PostgreSQL uses
the index under row-level security (LIKE on a trigram index it does not).
County-owned (RLS); filled here from the rows already there.

Revision ID: d8aa53aad8ca
Revises: b4f8409f6cab
Create Date: 2026-12-02 00:49:57.173588

"""
from alembic import op
import sqlalchemy as sa

from app.core import rls


# revision identifiers, used by Alembic.
revision = 'd8aa53aad8ca'
down_revision = 'b4f8409f6cab'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('case_search_grams',
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('gram', sa.String(length=3), nullable=False),
    sa.Column('source_id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['counties.id'], name=op.f('fk_case_search_grams_tenant_id_counties')),
    sa.PrimaryKeyConstraint('kind', 'gram', 'tenant_id', 'source_id', 'case_id', name=op.f('pk_case_search_grams'))
    )
    with op.batch_alter_table('case_search_grams', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_search_grams_tenant_id'), ['tenant_id'], unique=False)

    rls.grant_rw(op, "case_search_grams")
    rls.enable_tenant_rls(op, "case_search_grams")

    from app.cases.search_index import rebuild

    rebuild(op.get_bind())


def downgrade():
    rls.disable_tenant_rls(op, "case_search_grams")
    with op.batch_alter_table('case_search_grams', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_search_grams_tenant_id'))

    op.drop_table('case_search_grams')
