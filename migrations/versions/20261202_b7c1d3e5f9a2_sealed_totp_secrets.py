"""sealed totp secrets

TOTP secrets are stored sealed (Fernet, app/core/sealed.py) under the app's
DATA_ENCRYPTION_KEYS, or a key derived from SECRET_KEY: the column grows to
hold a token, and the secrets already there are sealed in place (opened again
on downgrade). Run with the same configuration as the app, or the enrolled
second factors can no longer be read.

Revision ID: b7c1d3e5f9a2
Revises: a9d3e5f7b1c2
Create Date: 2026-12-02 15:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b7c1d3e5f9a2'
down_revision = 'a9d3e5f7b1c2'
branch_labels = None
depends_on = None

users = sa.table('users', sa.column('id', sa.Integer()), sa.column('totp_secret', sa.String()))


def _rewrite(change):
    connection = op.get_bind()
    rows = connection.execute(sa.select(users.c.id, users.c.totp_secret).where(users.c.totp_secret.isnot(None)))
    for user_id, value in rows.all():
        connection.execute(users.update().where(users.c.id == user_id).values(totp_secret=change(value)))


def upgrade():
    from app.core.sealed import PREFIX, seal

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.alter_column('totp_secret', existing_type=sa.String(length=64), type_=sa.String(length=255),
                              existing_nullable=True)
    _rewrite(lambda value: value if value.startswith(PREFIX) else seal(value))


def downgrade():
    from app.core.sealed import unseal

    _rewrite(lambda value: unseal(value) or None)
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.alter_column('totp_secret', existing_type=sa.String(length=255), type_=sa.String(length=64),
                              existing_nullable=True)
