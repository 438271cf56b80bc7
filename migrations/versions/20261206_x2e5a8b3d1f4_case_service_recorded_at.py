"""when a service was recorded

Reports as at the end of a period (issue 20): ``case_services.recorded_at`` is when the service was
recorded, so a service dated in a period but recorded after its end does not change that period's
figures (the board's 育兒指導 and 獨居老人 measures). Existing rows take the start of their service day
(Taipei): the earliest they can have been recorded.

Revision ID: x2e5a8b3d1f4
Revises: w1d4f7a2c9e3
Create Date: 2026-12-06 22:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'x2e5a8b3d1f4'
down_revision = 'w1d4f7a2c9e3'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('case_services', schema=None) as batch_op:
        batch_op.add_column(sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=True))
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(sa.text("""UPDATE case_services SET recorded_at = ("on"::timestamp AT TIME ZONE 'Asia/Taipei')"""))
    else:
        op.execute(sa.text("""UPDATE case_services SET recorded_at = strftime('%Y-%m-%d %H:%M:%S.000000', "on", '-8 hours')"""))
    with op.batch_alter_table('case_services', schema=None) as batch_op:
        batch_op.alter_column('recorded_at', existing_type=sa.DateTime(timezone=True), nullable=False)


def downgrade():
    with op.batch_alter_table('case_services', schema=None) as batch_op:
        batch_op.drop_column('recorded_at')
