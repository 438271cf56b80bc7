"""case plan review on

The day a case's latest service plan is next to be reviewed, stored on the case (cases.services.add_plan
and review_plan keep it), so that the plan-review clock of the work lists and of the search is a column,
not two correlated sub-queries a case.

Revision ID: n3b7d9f5c2e8
Revises: m2a6c8e4b1d7
Create Date: 2026-12-07 09:30:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'n3b7d9f5c2e8'
down_revision = 'm2a6c8e4b1d7'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('family_cases', sa.Column('plan_review_on', sa.Date(), nullable=True))
    op.execute("""
UPDATE family_cases SET plan_review_on = (
  SELECT CASE WHEN EXISTS (SELECT 1 FROM plan_reviews r WHERE r.plan_id = p.id)
              THEN (SELECT r.next_review FROM plan_reviews r WHERE r.plan_id = p.id ORDER BY r.id DESC LIMIT 1)
              ELSE p.review_due END
  FROM service_plans p WHERE p.case_id = family_cases.id ORDER BY p.created_at DESC, p.id DESC LIMIT 1)
WHERE EXISTS (SELECT 1 FROM service_plans p WHERE p.case_id = family_cases.id)""")


def downgrade():
    op.drop_column('family_cases', 'plan_review_on')
