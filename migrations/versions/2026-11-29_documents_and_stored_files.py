"""Documents (agreements and evidence) and content-addressed stored files.

Stored files, their chunks and documents are never updated: a trigger refuses it on both engines.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 05:01:27.229891
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

import app.core.db

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('stored_file',
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('media_type', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('backend', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('created_at', app.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('sha256', name=op.f('pk_stored_file'))
    )
    op.create_table('document',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('vendor_id', sa.Integer(), nullable=False),
    sa.Column('type', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('file_name', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('media_type', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('signed_on', sa.Date(), nullable=True),
    sa.Column('effective_on', sa.Date(), nullable=True),
    sa.Column('expires_on', sa.Date(), nullable=True),
    sa.Column('auto_renews', sa.Boolean(), nullable=False),
    sa.Column('renewal_months', sa.Integer(), nullable=True),
    sa.Column('notice_days', sa.Integer(), nullable=True),
    sa.Column('transfer_mechanism', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
    sa.Column('breach_notice_hours', sa.Integer(), nullable=True),
    sa.Column('subprocessors', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('notes', sqlmodel.sql.sqltypes.AutoString(length=4000), nullable=True),
    sa.Column('supersedes_id', sa.Integer(), nullable=True),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', app.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("transfer_mechanism IS NULL OR transfer_mechanism IN ('none', 'adequacy', 'scc', 'bcr', 'dpf')", name=op.f('ck_document_transfer_mechanism')),
    sa.CheckConstraint("type IN ('dpa', 'baa', 'scc', 'msa', 'soc2_type2', 'iso27001', 'pci_aoc', 'pen_test', 'insurance', 'other')", name=op.f('ck_document_type')),
    sa.CheckConstraint('expires_on IS NULL OR effective_on IS NULL OR expires_on >= effective_on', name=op.f('ck_document_dates')),
    sa.CheckConstraint('notice_days IS NULL OR notice_days >= 0', name=op.f('ck_document_notice_days')),
    sa.CheckConstraint('supersedes_id IS NULL OR supersedes_id <> id', name=op.f('ck_document_not_self')),
    sa.ForeignKeyConstraint(['sha256'], ['stored_file.sha256'], name=op.f('fk_document_sha256_stored_file')),
    sa.ForeignKeyConstraint(['supersedes_id'], ['document.id'], name=op.f('fk_document_supersedes_id_document')),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['user_account.id'], name=op.f('fk_document_uploaded_by_id_user_account')),
    sa.ForeignKeyConstraint(['vendor_id'], ['vendor.id'], name=op.f('fk_document_vendor_id_vendor')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_document')),
    sa.UniqueConstraint('supersedes_id', name=op.f('uq_document_supersedes_id'))
    )
    with op.batch_alter_table('document', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_document_sha256'), ['sha256'], unique=False)
        batch_op.create_index('ix_document_vendor_id_type', ['vendor_id', 'type', 'id'], unique=False)

    op.create_table('file_chunk',
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('seq', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['sha256'], ['stored_file.sha256'], name=op.f('fk_file_chunk_sha256_stored_file')),
    sa.PrimaryKeyConstraint('sha256', 'seq', name=op.f('pk_file_chunk'))
    )
    op.create_table('document_integration',
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('integration_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['document_id'], ['document.id'], name=op.f('fk_document_integration_document_id_document')),
    sa.ForeignKeyConstraint(['integration_id'], ['integration.id'], name=op.f('fk_document_integration_integration_id_integration')),
    sa.PrimaryKeyConstraint('document_id', 'integration_id', name=op.f('pk_document_integration'))
    )
    with op.batch_alter_table('document_integration', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_document_integration_integration_id'), ['integration_id'], unique=False)

    _create_immutability_triggers()


# Stored bytes and the documents that point at them are written once; a new version is a new row.
IMMUTABLE = ("stored_file", "file_chunk", "document")


def _create_immutability_triggers() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            """
            CREATE FUNCTION refuse_update() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION '% is written once: UPDATE refused', TG_TABLE_NAME;
            END $$
            """
        )
        for table in IMMUTABLE:
            op.execute(
                f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} FOR EACH ROW EXECUTE FUNCTION refuse_update()"
            )
    else:
        for table in IMMUTABLE:
            op.execute(
                f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table} is written once: UPDATE refused'); END"
            )


def _drop_immutability_triggers() -> None:
    postgresql_ = op.get_bind().dialect.name == "postgresql"
    for table in IMMUTABLE:
        op.execute(f"DROP TRIGGER {table}_no_update" + (f" ON {table}" if postgresql_ else ""))
    if postgresql_:
        op.execute("DROP FUNCTION refuse_update()")



def downgrade() -> None:
    _drop_immutability_triggers()
    with op.batch_alter_table('document_integration', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_document_integration_integration_id'))

    op.drop_table('document_integration')
    op.drop_table('file_chunk')
    with op.batch_alter_table('document', schema=None) as batch_op:
        batch_op.drop_index('ix_document_vendor_id_type')
        batch_op.drop_index(batch_op.f('ix_document_sha256'))

    op.drop_table('document')
    op.drop_table('stored_file')
