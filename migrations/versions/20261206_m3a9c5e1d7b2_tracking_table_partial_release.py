"""tracking table as the ministry writes it: partial release, free text, 製表日期, 註, 附件

Seed 004's 附件2: each unit's part of an action item can be released on its own
(``action_item_units.released_at_id``, the meeting that released it), with every
release and reopening kept in ``action_item_unit_events`` (who, when, at which
meeting, why; national or a county's row, the same policy as the other meeting
tables); the 列管建議 column takes free text (``item_decisions.note``, and
``note_generated`` while it is the system's own sentence); a meeting keeps the
tracking table's 製表日期, 附件 label and 註 line, and each tracking-table PDF
the 製表日期 it printed.

Revision ID: m3a9c5e1d7b2
Revises: d6c0a7e2b915
Create Date: 2026-12-06 18:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

from app.core import rls


# revision identifiers, used by Alembic.
revision = 'm3a9c5e1d7b2'
down_revision = 'd6c0a7e2b915'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('action_item_units', schema=None) as batch_op:
        batch_op.add_column(sa.Column('released_at_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_action_item_units_released_at_id_meetings'), 'meetings',
                                    ['released_at_id'], ['id'])
    with op.batch_alter_table('item_decisions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('note', sa.Text(), server_default='', nullable=False))
        batch_op.add_column(sa.Column('note_generated', sa.Boolean(), server_default=sa.false(), nullable=False))
    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('table_date', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('table_annex', sa.String(length=20), server_default='', nullable=False))
        batch_op.add_column(sa.Column('table_note', sa.Text(), server_default='', nullable=False))
    with op.batch_alter_table('meeting_documents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('table_date', sa.Date(), nullable=True))

    op.create_table('action_item_unit_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=10), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('by_id', sa.Integer(), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('county_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['by_id'], ['users.id'], name=op.f('fk_action_item_unit_events_by_id_users')),
    sa.ForeignKeyConstraint(['county_id'], ['counties.id'], name=op.f('fk_action_item_unit_events_county_id_counties')),
    sa.ForeignKeyConstraint(['item_id'], ['action_items.id'], name=op.f('fk_action_item_unit_events_item_id_action_items'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'], name=op.f('fk_action_item_unit_events_meeting_id_meetings')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_action_item_unit_events_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_action_item_unit_events'))
    )
    with op.batch_alter_table('action_item_unit_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_action_item_unit_events_county_id'), ['county_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_action_item_unit_events_item_id'), ['item_id'], unique=False)

    if op.get_bind().dialect.name == "postgresql":  # the owner is subject to the forced policies too
        op.execute("SELECT set_config('app.all_tenants', 'on', true)")
    # Items released before this revision: every unit's part released with the item, at its meeting.
    op.execute("UPDATE action_item_units SET released_at_id = (SELECT closed_at_id FROM action_items "
               "WHERE action_items.id = action_item_units.item_id) WHERE item_id IN "
               "(SELECT id FROM action_items WHERE closed_at_id IS NOT NULL)")

    rls.grant_rw(op, "action_item_unit_events")
    rls.enable_county_or_national_rls(op, "action_item_unit_events")


def downgrade():
    rls.disable_county_or_national_rls(op, "action_item_unit_events")
    with op.batch_alter_table('action_item_unit_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_action_item_unit_events_item_id'))
        batch_op.drop_index(batch_op.f('ix_action_item_unit_events_county_id'))
    op.drop_table('action_item_unit_events')
    with op.batch_alter_table('meeting_documents', schema=None) as batch_op:
        batch_op.drop_column('table_date')
    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.drop_column('table_note')
        batch_op.drop_column('table_annex')
        batch_op.drop_column('table_date')
    with op.batch_alter_table('item_decisions', schema=None) as batch_op:
        batch_op.drop_column('note_generated')
        batch_op.drop_column('note')
    with op.batch_alter_table('action_item_units', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_action_item_units_released_at_id_meetings'), type_='foreignkey')
        batch_op.drop_column('released_at_id')
