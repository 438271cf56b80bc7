"""referral case lead

The unit leading a referral's case now, kept on the referral (joint.set_lead moves it with every change
of lead), and the 送出的 box's two index look-ups: what a unit sent, and the referrals of the cases it
leads, each with status and deadline.

Revision ID: m2a6c8e4b1d7
Revises: k7c3e9a1d5f2
Create Date: 2026-12-07 09:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'm2a6c8e4b1d7'
down_revision = 'k7c3e9a1d5f2'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.add_column(sa.Column('case_lead_unit_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_referrals_case_lead_unit_id_units'), 'units',
                                    ['case_lead_unit_id'], ['id'])
    op.execute("UPDATE referrals SET case_lead_unit_id = (SELECT cu.unit_id FROM case_units cu "
               "WHERE cu.case_id = referrals.case_id AND cu.role = 'lead')")
    op.create_index('ix_referrals_sent', 'referrals', ['from_unit_id', 'status', 'deadline_at'], unique=False)
    op.create_index('ix_referrals_led', 'referrals', ['case_lead_unit_id', 'status', 'deadline_at'], unique=False)


def downgrade():
    op.drop_index('ix_referrals_led', table_name='referrals')
    op.drop_index('ix_referrals_sent', table_name='referrals')
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_referrals_case_lead_unit_id_units'), type_='foreignkey')
        batch_op.drop_column('case_lead_unit_id')
