"""match keys

The duplicate search's keys, kept with what they are made from (core.normalise): a report's and a
case's address as compared, and a report person's phone digits; indexed per county, so that the
search reads the few rows with the same phone or address instead of every person of a surname.

Revision ID: k7c3e9a1d5f2
Revises: h4f7a2c9e1b3
Create Date: 2026-12-07 13:00:00

"""
from alembic import op
import sqlalchemy as sa

from app.core.normalise import address_key_sql, normalise_address, normalise_phone, phone_key_sql


revision = 'k7c3e9a1d5f2'
down_revision = 'h4f7a2c9e1b3'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('reports', sa.Column('address_key', sa.String(length=200), server_default='', nullable=False))
    op.add_column('report_persons', sa.Column('phone_key', sa.String(length=30), server_default='', nullable=False))
    op.add_column('family_cases', sa.Column('address_key', sa.String(length=200), server_default='', nullable=False))

    bind = op.get_bind()
    if bind.dialect.name == 'postgresql':
        op.execute(f"UPDATE reports SET address_key = {address_key_sql('address')} WHERE address <> ''")
        op.execute(f"UPDATE report_persons SET phone_key = {phone_key_sql('phone')} WHERE phone <> ''")
        op.execute(f"UPDATE family_cases SET address_key = {address_key_sql('address')} WHERE address <> ''")
    else:  # SQLite: the same functions, registered on the connection
        raw = bind.connection.driver_connection
        raw.create_function('normalise_address', 1, normalise_address, deterministic=True)
        raw.create_function('normalise_phone', 1, normalise_phone, deterministic=True)
        op.execute("UPDATE reports SET address_key = normalise_address(address) WHERE address <> ''")
        op.execute("UPDATE report_persons SET phone_key = normalise_phone(phone) WHERE phone <> ''")
        op.execute("UPDATE family_cases SET address_key = normalise_address(address) WHERE address <> ''")

    op.create_index('ix_reports_address_key', 'reports', ['tenant_id', 'address_key'], unique=False)
    op.create_index('ix_report_persons_phone_key', 'report_persons', ['tenant_id', 'phone_key'], unique=False)
    op.create_index('ix_family_cases_address_key', 'family_cases', ['tenant_id', 'address_key'], unique=False)


def downgrade():
    op.drop_index('ix_family_cases_address_key', table_name='family_cases')
    op.drop_index('ix_report_persons_phone_key', table_name='report_persons')
    op.drop_index('ix_reports_address_key', table_name='reports')
    op.drop_column('family_cases', 'address_key')
    op.drop_column('report_persons', 'phone_key')
    op.drop_column('reports', 'address_key')
