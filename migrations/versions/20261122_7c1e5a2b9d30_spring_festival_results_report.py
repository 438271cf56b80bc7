"""spring-festival results report

The sixth report (春節關懷訪視服務成果) and its period (a campaign's own
dates): the CHECK constraints on report_runs.kind and period_kind admit
'spring'. The columns are long enough already.

Revision ID: 7c1e5a2b9d30
Revises: 59e59fe43508
Create Date: 2026-11-22 10:20:00

"""
from alembic import op
import sqlalchemy as sa


revision = '7c1e5a2b9d30'
down_revision = '59e59fe43508'
branch_labels = None
depends_on = None

KINDS = ('screening', 'visits', 'vulnerability', 'referrals')
PERIODS = ('month', 'quarter', 'year')


def _allow(kinds, periods):
    checks = {"report_kind": ("kind", kinds), "period_kind": ("period_kind", periods)}
    if op.get_bind().dialect.name == "sqlite":
        # SQLite cannot alter a constraint: batch mode copies the table with the new column types.
        with op.batch_alter_table('report_runs', recreate='always') as batch_op:
            for name, (column, values) in checks.items():
                batch_op.alter_column(column, existing_type=sa.String(13), type_=sa.Enum(
                    *values, name=name, native_enum=False, create_constraint=True), existing_nullable=False)
        return
    for name, (column, values) in checks.items():
        op.drop_constraint(op.f(f"ck_report_runs_{name}"), "report_runs", type_="check")
        op.create_check_constraint(name, "report_runs", sa.column(column).in_(values))


def upgrade():
    _allow(KINDS + ('spring',), PERIODS + ('spring',))


def downgrade():
    op.execute("DELETE FROM report_runs WHERE kind = 'spring' OR period_kind = 'spring'")
    _allow(KINDS, PERIODS)
