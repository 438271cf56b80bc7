"""programme groups and services

社安網2.0 (issue 20): the service catalogue, the target groups and the 福利身分別 offered become national
reference data versioned by effective date (``service_catalogue_items``, ``target_groups``,
``welfare_statuses``; read by every county, no RLS). A family or member is marked with a target group
(``case_target_groups``) and a victim of 性影像暴力 has removal requests (``image_removal_requests``), both
county-owned (RLS and grants as every tenant table). ``case_members.welfare_type`` admits '8' 近貧人口.

Revision ID: p3b8e1c5a7d2
Revises: p3a8d5c1e7f2
Create Date: 2026-12-06 18:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

from app.core import rls


# revision identifiers, used by Alembic.
revision = 'p3b8e1c5a7d2'
down_revision = 'p3a8d5c1e7f2'
branch_labels = None
depends_on = None

WELFARE = ('0', '1', '2', '3', '4', '5', '6', '7', '99')


def _welfare(codes):
    if op.get_bind().dialect.name == "sqlite":
        with op.batch_alter_table('case_members', recreate='always') as batch_op:
            batch_op.alter_column('welfare_type', existing_type=sa.String(2), type_=sa.Enum(
                *codes, name='welfare_type', native_enum=False, create_constraint=True, length=2),
                existing_nullable=True)
        return
    op.drop_constraint(op.f("ck_case_members_welfare_type"), "case_members", type_="check")
    op.create_check_constraint("welfare_type", "case_members", sa.column("welfare_type").in_(codes))


def _effective_columns():
    return [sa.Column('effective_from', sa.Date(), nullable=False), sa.Column('effective_to', sa.Date(), nullable=True),
            sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
            sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False)]


def upgrade():
    op.create_table('target_groups',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=30), nullable=False),
    sa.Column('label', sa.String(length=60), nullable=False),
    sa.Column('tier', sa.Enum('general', 'vulnerable', 'crisis', name='family_tier', native_enum=False, create_constraint=True, length=10), nullable=False),
    sa.Column('welfare_code', sa.String(length=2), nullable=False),
    *_effective_columns(),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_target_groups')),
    sa.UniqueConstraint('code', 'effective_from', name=op.f('uq_target_groups_code_effective_from'))
    )
    with op.batch_alter_table('target_groups', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_target_groups_code'), ['code'], unique=False)

    op.create_table('service_catalogue_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version', sa.String(length=40), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('label', sa.String(length=100), nullable=False),
    sa.Column('section', sa.String(length=30), nullable=False),
    sa.Column('strategy', sa.String(length=40), nullable=False),
    sa.Column('has_amount', sa.Boolean(), nullable=False),
    sa.Column('group_code', sa.String(length=30), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    *_effective_columns(),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_catalogue_items')),
    sa.UniqueConstraint('code', 'effective_from', name=op.f('uq_service_catalogue_items_code_effective_from'))
    )
    with op.batch_alter_table('service_catalogue_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_service_catalogue_items_code'), ['code'], unique=False)

    op.create_table('welfare_statuses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=2), nullable=False),
    sa.Column('label', sa.String(length=60), nullable=False),
    *_effective_columns(),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_welfare_statuses')),
    sa.UniqueConstraint('code', 'effective_from', name=op.f('uq_welfare_statuses_code_effective_from'))
    )
    for table in ('target_groups', 'service_catalogue_items', 'welfare_statuses'):
        rls.grant_rw(op, table)

    op.create_table('case_target_groups',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=True),
    sa.Column('group_code', sa.String(length=30), nullable=False),
    sa.Column('since', sa.Date(), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['case_members.id'], name=op.f('fk_case_target_groups_member_id_case_members'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_case_target_groups_recorded_by_id_users')),
    sa.ForeignKeyConstraint(['tenant_id', 'case_id'], ['family_cases.tenant_id', 'family_cases.id'], name=op.f('fk_case_target_groups_tenant_id_family_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['counties.id'], name=op.f('fk_case_target_groups_tenant_id_counties')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_target_groups'))
    )
    with op.batch_alter_table('case_target_groups', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_target_groups_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_case_target_groups_tenant_id'), ['tenant_id'], unique=False)
        batch_op.create_index('ix_case_target_groups_group', ['tenant_id', 'group_code', 'since'], unique=False)

    op.create_table('image_removal_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=True),
    sa.Column('platform', sa.String(length=100), nullable=False),
    sa.Column('asked_on', sa.Date(), nullable=False),
    sa.Column('outcome', sa.Enum('pending', 'removed', 'refused', name='removal_outcome', native_enum=False, create_constraint=True, length=7), nullable=False),
    sa.Column('outcome_on', sa.Date(), nullable=True),
    sa.Column('outcome_recorded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['case_members.id'], name=op.f('fk_image_removal_requests_member_id_case_members'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_image_removal_requests_recorded_by_id_users')),
    sa.ForeignKeyConstraint(['tenant_id', 'case_id'], ['family_cases.tenant_id', 'family_cases.id'], name=op.f('fk_image_removal_requests_tenant_id_family_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['counties.id'], name=op.f('fk_image_removal_requests_tenant_id_counties')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_image_removal_requests'))
    )
    with op.batch_alter_table('image_removal_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_image_removal_requests_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_image_removal_requests_tenant_id'), ['tenant_id'], unique=False)
        batch_op.create_index('ix_image_removal_requests_asked', ['tenant_id', 'asked_on'], unique=False)

    for table in ('case_target_groups', 'image_removal_requests'):
        rls.grant_rw(op, table)
        rls.enable_tenant_rls(op, table)

    _welfare(WELFARE + ('8',))


def downgrade():
    op.execute("UPDATE case_members SET welfare_type = NULL WHERE welfare_type = '8'")
    _welfare(WELFARE)
    for table in ('image_removal_requests', 'case_target_groups'):
        rls.disable_tenant_rls(op, table)
    with op.batch_alter_table('image_removal_requests', schema=None) as batch_op:
        batch_op.drop_index('ix_image_removal_requests_asked')
        batch_op.drop_index(batch_op.f('ix_image_removal_requests_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_image_removal_requests_case_id'))
    op.drop_table('image_removal_requests')
    with op.batch_alter_table('case_target_groups', schema=None) as batch_op:
        batch_op.drop_index('ix_case_target_groups_group')
        batch_op.drop_index(batch_op.f('ix_case_target_groups_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_case_target_groups_case_id'))
    op.drop_table('case_target_groups')
    op.drop_table('welfare_statuses')
    with op.batch_alter_table('service_catalogue_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_service_catalogue_items_code'))
    op.drop_table('service_catalogue_items')
    with op.batch_alter_table('target_groups', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_target_groups_code'))
    op.drop_table('target_groups')
