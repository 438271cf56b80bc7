"""totp second factor

Users get an optional TOTP second factor (required for county administrators
and system administrators): the base32 secret (set while enrolling, kept
once confirmed; never shown again), when it was confirmed, and the last
accepted time-step so that a code cannot be used twice. ``users`` is not a
tenant table: no policy, and the runtime role's grants on it already cover
new columns.

Revision ID: e2f7a1c9b3d4
Revises: f4b8c2d6e0a1
Create Date: 2026-12-02 05:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e2f7a1c9b3d4'
down_revision = 'f4b8c2d6e0a1'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('totp_secret', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('totp_enabled_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('totp_last_step', sa.BigInteger(), nullable=True))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('totp_last_step')
        batch_op.drop_column('totp_enabled_at')
        batch_op.drop_column('totp_secret')
