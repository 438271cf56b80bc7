"""investigation centre

社安網2.0's 通報調查處理中心 (116年起): a county unit kind ``investigation_centre`` (the units' kind
check and the owner check admit it); each county's start date ``counties.investigation_from``
(default 2027-01-01 = 116-01-01); the centre's investigations and their history, county-owned
(RLS and grants as every tenant table).

Revision ID: p3b8e5c1d7a2
Revises: p3b8e1c5a7d2
Create Date: 2026-12-06 18:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

from app.core import rls


# revision identifiers, used by Alembic.
revision = 'p3b8e5c1d7a2'
down_revision = 'p3b8e1c5a7d2'
branch_labels = None
depends_on = None

COUNTY_KINDS = ('social_affairs_bureau', 'dispatch_centre', 'dv_centre', 'welfare_centre', 'mental_health', 'education',
                'police', 'labour', 'civil_affairs', 'fire')
OTHER_KINDS = ('partner_branch', 'ministry_department', 'ministry_institution')
STATES = ('pending', 'investigating', 'concluded', 'dispatched', 'closed')


def _owner_check(county_kinds) -> str:
    return ("(kind IN ({county}) AND county_id IS NOT NULL AND partner_org_id IS NULL)"
            " OR (kind = 'partner_branch' AND partner_org_id IS NOT NULL)"
            " OR (kind IN ('ministry_department', 'ministry_institution') AND county_id IS NULL AND partner_org_id IS NULL)"
            .format(county=", ".join(f"'{k}'" for k in county_kinds)))


def _unit_kinds(county_kinds) -> None:
    kinds = county_kinds + OTHER_KINDS
    if op.get_bind().dialect.name == "sqlite":
        # SQLite cannot alter a constraint: batch mode copies the table with the new checks.
        with op.batch_alter_table('units', recreate='always') as batch_op:
            batch_op.drop_constraint(op.f('ck_units_owner_matches_kind'), type_='check')
            batch_op.alter_column('kind', existing_type=sa.String(21), type_=sa.Enum(
                *kinds, name='unit_kind', native_enum=False, create_constraint=True, length=21), existing_nullable=False)
            batch_op.create_check_constraint('owner_matches_kind', _owner_check(county_kinds))
        return
    op.drop_constraint(op.f('ck_units_unit_kind'), 'units', type_='check')
    op.create_check_constraint('unit_kind', 'units', sa.column('kind').in_(kinds))
    op.drop_constraint(op.f('ck_units_owner_matches_kind'), 'units', type_='check')
    op.create_check_constraint('owner_matches_kind', 'units', _owner_check(county_kinds))


def _status(name):
    return sa.Enum(*STATES, name=name, native_enum=False, create_constraint=True, length=13)


def upgrade():
    _unit_kinds(COUNTY_KINDS + ('investigation_centre',))
    with op.batch_alter_table('counties', schema=None) as batch_op:
        batch_op.add_column(sa.Column('investigation_from', sa.Date(), server_default='2027-01-01', nullable=False))

    op.create_table('investigations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('report_id', sa.Integer(), nullable=False),
    sa.Column('centre_unit_id', sa.Integer(), nullable=False),
    sa.Column('family_name', sa.String(length=60), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('urgent', sa.Boolean(), nullable=False),
    sa.Column('status', _status('investigation_status'), nullable=False),
    sa.Column('contact_due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('conclude_due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('worker_id', sa.Integer(), nullable=True),
    sa.Column('first_contact_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('substantiated', sa.Boolean(), nullable=True),
    sa.Column('service_need', sa.Boolean(), nullable=True),
    sa.Column('outcome_note', sa.Text(), nullable=False),
    sa.Column('concluded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('dispatched_unit_id', sa.Integer(), nullable=True),
    sa.Column('dispatched_case_id', sa.Integer(), nullable=True),
    sa.Column('dispatched_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("status != 'dispatched' OR (dispatched_unit_id IS NOT NULL AND dispatched_case_id IS NOT NULL)", name=op.f('ck_investigations_dispatched_has_unit')),
    sa.ForeignKeyConstraint(['centre_unit_id'], ['units.id'], name=op.f('fk_investigations_centre_unit_id_units')),
    sa.ForeignKeyConstraint(['dispatched_case_id'], ['family_cases.id'], name=op.f('fk_investigations_dispatched_case_id_family_cases')),
    sa.ForeignKeyConstraint(['dispatched_unit_id'], ['units.id'], name=op.f('fk_investigations_dispatched_unit_id_units')),
    sa.ForeignKeyConstraint(['report_id'], ['reports.id'], name=op.f('fk_investigations_report_id_reports')),
    sa.ForeignKeyConstraint(['tenant_id'], ['counties.id'], name=op.f('fk_investigations_tenant_id_counties')),
    sa.ForeignKeyConstraint(['worker_id'], ['users.id'], name=op.f('fk_investigations_worker_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_investigations')),
    sa.UniqueConstraint('report_id', name=op.f('uq_investigations_report_id'))
    )
    with op.batch_alter_table('investigations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_investigations_centre_unit_id'), ['centre_unit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_investigations_concluded_at'), ['concluded_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_investigations_dispatched_case_id'), ['dispatched_case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_investigations_dispatched_unit_id'), ['dispatched_unit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_investigations_tenant_id'), ['tenant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_investigations_worker_id'), ['worker_id'], unique=False)
        batch_op.create_index('ix_investigations_queue', ['tenant_id', 'status', 'contact_due_at'], unique=False)

    op.create_table('investigation_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('investigation_id', sa.Integer(), nullable=False),
    sa.Column('from_status', _status('investigation_from_status'), nullable=True),
    sa.Column('to_status', _status('investigation_to_status'), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('actor_name', sa.String(length=60), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_investigation_events_actor_id_users')),
    sa.ForeignKeyConstraint(['investigation_id'], ['investigations.id'], name=op.f('fk_investigation_events_investigation_id_investigations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['counties.id'], name=op.f('fk_investigation_events_tenant_id_counties')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_investigation_events'))
    )
    with op.batch_alter_table('investigation_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_investigation_events_investigation_id'), ['investigation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_investigation_events_tenant_id'), ['tenant_id'], unique=False)

    for table in ('investigations', 'investigation_events'):
        rls.grant_rw(op, table)
        rls.enable_tenant_rls(op, table)


def downgrade():
    for table in ('investigation_events', 'investigations'):
        rls.disable_tenant_rls(op, table)
    with op.batch_alter_table('investigation_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_investigation_events_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_investigation_events_investigation_id'))
    op.drop_table('investigation_events')
    with op.batch_alter_table('investigations', schema=None) as batch_op:
        batch_op.drop_index('ix_investigations_queue')
        for column in ('worker_id', 'tenant_id', 'dispatched_unit_id', 'dispatched_case_id', 'concluded_at',
                       'centre_unit_id'):
            batch_op.drop_index(batch_op.f(f'ix_investigations_{column}'))
    op.drop_table('investigations')
    with op.batch_alter_table('counties', schema=None) as batch_op:
        batch_op.drop_column('investigation_from')
    op.execute("DELETE FROM units WHERE kind = 'investigation_centre'")
    _unit_kinds(COUNTY_KINDS)
