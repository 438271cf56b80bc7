"""ROC dates in stored display text

The demonstration factor table was named by its Gregorian date (``2025-07-01（示範）``) and the case
timeline wrote plan and review dates and a re-report's closing date as ``2027-03-06``. People read both:
the table is renamed ``114/07/01（示範）`` and those timeline lines are rewritten in ROC, as the code now
writes them. Only the system's own sentences are touched (events of kinds plan, plan_review, re_report).

Revision ID: d6c0a7e2b915
Revises: l7d2f4a8c1e9
Create Date: 2026-12-06 11:00:00.000000

"""
import re

from alembic import op
import sqlalchemy as sa


revision = 'd6c0a7e2b915'
down_revision = 'l7d2f4a8c1e9'
branch_labels = None
depends_on = None

OLD, NEW = "2025-07-01（示範）", "114/07/01（示範）"
ISO = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
ROC = re.compile(r"(?<![\d/])(\d{2,3})/(\d{2})/(\d{2})(?![\d/])")


def _rewrite(pattern, replace):
    conn = op.get_bind()
    rows = conn.execute(sa.text("SELECT id, summary FROM case_events WHERE kind IN ('plan', 'plan_review', 're_report')")).all()
    for row_id, summary in rows:
        new = pattern.sub(replace, summary or "")
        if new != summary:
            conn.execute(sa.text("UPDATE case_events SET summary = :s WHERE id = :i"), {"s": new, "i": row_id})


def upgrade():
    op.execute(sa.text("UPDATE risk_factor_tables SET version = :new WHERE version = :old").bindparams(new=NEW, old=OLD))
    _rewrite(ISO, lambda m: f"{int(m.group(1)) - 1911}/{m.group(2)}/{m.group(3)}")


def downgrade():
    op.execute(sa.text("UPDATE risk_factor_tables SET version = :old WHERE version = :new").bindparams(new=NEW, old=OLD))
    _rewrite(ROC, lambda m: f"{int(m.group(1)) + 1911:04d}-{m.group(2)}-{m.group(3)}")
