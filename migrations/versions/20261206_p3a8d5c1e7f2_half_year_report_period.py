"""half-year report period

Reports for a half-year (上半年 1–6月, 下半年 7–12月) as officials ask for them:
the CHECK constraint on report_runs.period_kind admits 'half'. The column is
long enough already.

Revision ID: p3a8d5c1e7f2
Revises: m3a9c5e1d7b2
Create Date: 2026-12-06 18:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'p3a8d5c1e7f2'
down_revision = 'm3a9c5e1d7b2'
branch_labels = None
depends_on = None

PERIODS = ('month', 'quarter', 'year', 'spring')


def _allow(periods):
    if op.get_bind().dialect.name == "sqlite":
        # SQLite cannot alter a constraint: batch mode copies the table with the new column type.
        with op.batch_alter_table('report_runs', recreate='always') as batch_op:
            batch_op.alter_column('period_kind', existing_type=sa.String(7), type_=sa.Enum(
                *periods, name='period_kind', native_enum=False, create_constraint=True, length=7),
                existing_nullable=False)
        return
    op.drop_constraint(op.f("ck_report_runs_period_kind"), "report_runs", type_="check")
    op.create_check_constraint("period_kind", "report_runs", sa.column("period_kind").in_(periods))


def upgrade():
    _allow(PERIODS + ('half',))


def downgrade():
    op.execute("DELETE FROM report_runs WHERE period_kind = 'half'")
    _allow(PERIODS)
