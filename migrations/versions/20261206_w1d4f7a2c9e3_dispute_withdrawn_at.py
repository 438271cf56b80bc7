"""a dispute's withdrawal time

Reports as at the end of a period (issue 20): ``disputes.withdrawn_at`` is when the filer withdrew the
dispute, so a later edit of the row (its ``updated_at``) no longer moves the withdrawal into another period.
Existing withdrawn disputes take the time of their timeline entry 「爭議 #id：已撤回」, else their last change.

Revision ID: w1d4f7a2c9e3
Revises: e8f2a4c6b1d3
Create Date: 2026-12-06 22:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'w1d4f7a2c9e3'
down_revision = 'e8f2a4c6b1d3'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('disputes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True))
    op.execute(sa.text(
        "UPDATE disputes SET withdrawn_at = COALESCE("
        "(SELECT MIN(e.at) FROM case_events e WHERE e.tenant_id = disputes.tenant_id AND e.case_id = disputes.case_id"
        " AND e.kind = 'dispute' AND e.summary LIKE '爭議 #' || CAST(disputes.id AS VARCHAR(20)) || '：已撤回%'),"
        " updated_at) WHERE status = 'withdrawn'"))


def downgrade():
    with op.batch_alter_table('disputes', schema=None) as batch_op:
        batch_op.drop_column('withdrawn_at')
