"""meeting document job

A meeting PDF remembers its RQ job, as a ministry report run does, so that a
page learns of a killed worker within RQ's heartbeat cutoff instead of at the
15-minute stale rule. ``meeting_documents`` keeps its policy; the new column
needs no grant of its own.

Revision ID: c3e5a7b9d1f4
Revises: b7c1d3e5f9a2
Create Date: 2026-12-02 15:20:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c3e5a7b9d1f4'
down_revision = 'b7c1d3e5f9a2'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('meeting_documents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('job_id', sa.String(length=60), nullable=False, server_default=''))


def downgrade():
    with op.batch_alter_table('meeting_documents', schema=None) as batch_op:
        batch_op.drop_column('job_id')
