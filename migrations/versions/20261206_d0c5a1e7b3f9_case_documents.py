"""case documents

Files attached to a family case (issue 21): ``case_documents`` (what the family record lists: kind,
description, name, type found from the content, size, SHA-256, who and when, a deletion's who/why)
and ``case_document_blobs`` (the bytes when DOCUMENT_STORAGE=database, apart so lists never load
them). Both county-owned: RLS and grants as every tenant table; both go with the case (CASCADE).

Revision ID: d0c5a1e7b3f9
Revises: u4c9e2a6b8d1
Create Date: 2026-12-06 21:30:00.000000

"""
from alembic import op
import sqlalchemy as sa

from app.core import rls


# revision identifiers, used by Alembic.
revision = 'd0c5a1e7b3f9'
down_revision = 'u4c9e2a6b8d1'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('case_documents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('consent', 'court_order', 'school_letter', 'photo', 'other', name='document_kind', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('description', sa.String(length=200), nullable=False),
    sa.Column('filename', sa.String(length=120), nullable=False),
    sa.Column('content_type', sa.String(length=40), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('storage', sa.String(length=20), nullable=False),
    sa.Column('storage_key', sa.String(length=200), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('uploaded_by_name', sa.String(length=60), nullable=False),
    sa.Column('uploaded_unit', sa.String(length=100), nullable=False),
    sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('deleted_by_id', sa.Integer(), nullable=True),
    sa.Column('deleted_by_name', sa.String(length=60), nullable=False),
    sa.Column('delete_reason', sa.String(length=200), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.CheckConstraint('size > 0', name=op.f('ck_case_documents_size_positive')),
    sa.ForeignKeyConstraint(['deleted_by_id'], ['users.id'], name=op.f('fk_case_documents_deleted_by_id_users')),
    sa.ForeignKeyConstraint(['tenant_id', 'case_id'], ['family_cases.tenant_id', 'family_cases.id'], name=op.f('fk_case_documents_tenant_id_family_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['counties.id'], name=op.f('fk_case_documents_tenant_id_counties')),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'], name=op.f('fk_case_documents_uploaded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_documents')),
    sa.UniqueConstraint('tenant_id', 'id', name=op.f('uq_case_documents_tenant_id_id'))
    )
    with op.batch_alter_table('case_documents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_documents_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_case_documents_deleted_by_id'), ['deleted_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_case_documents_tenant_id'), ['tenant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_case_documents_uploaded_by_id'), ['uploaded_by_id'], unique=False)

    op.create_table('case_document_blobs',
    sa.Column('document_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id', 'document_id'], ['case_documents.tenant_id', 'case_documents.id'], name=op.f('fk_case_document_blobs_tenant_id_case_documents'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['counties.id'], name=op.f('fk_case_document_blobs_tenant_id_counties')),
    sa.PrimaryKeyConstraint('document_id', name=op.f('pk_case_document_blobs'))
    )
    with op.batch_alter_table('case_document_blobs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_document_blobs_tenant_id'), ['tenant_id'], unique=False)

    for table in ('case_documents', 'case_document_blobs'):
        rls.grant_rw(op, table)
        rls.enable_tenant_rls(op, table)


def downgrade():
    for table in ('case_document_blobs', 'case_documents'):
        rls.disable_tenant_rls(op, table)
    with op.batch_alter_table('case_document_blobs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_document_blobs_tenant_id'))

    op.drop_table('case_document_blobs')
    with op.batch_alter_table('case_documents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_documents_uploaded_by_id'))
        batch_op.drop_index(batch_op.f('ix_case_documents_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_case_documents_deleted_by_id'))
        batch_op.drop_index(batch_op.f('ix_case_documents_case_id'))

    op.drop_table('case_documents')
