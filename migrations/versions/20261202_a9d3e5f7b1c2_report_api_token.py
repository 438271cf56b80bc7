"""report api token

A report sent through the API remembers the token it came with, so that the
sending organisation's system can read back where it stands
(GET /api/v1/reports/{report_no}). ``reports`` keeps its tenant policy; the
new column needs no grant of its own.

Revision ID: a9d3e5f7b1c2
Revises: e2f7a1c9b3d4
Create Date: 2026-12-02 14:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a9d3e5f7b1c2'
down_revision = 'e2f7a1c9b3d4'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('reports', schema=None) as batch_op:
        batch_op.add_column(sa.Column('api_token_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_reports_api_token_id'), ['api_token_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_reports_api_token_id_api_tokens'), 'api_tokens',
                                    ['api_token_id'], ['id'])


def downgrade():
    with op.batch_alter_table('reports', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_reports_api_token_id_api_tokens'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_reports_api_token_id'))
        batch_op.drop_column('api_token_id')
