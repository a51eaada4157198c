"""Assessments: the snapshot a decision rested on, the review, and the signed record (by SHA-256).

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29 05:35:10.828157
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

import app.core.db

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('assessment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('integration_id', sa.Integer(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('snapshot', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('inherent_tier', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('assurance', sa.Float(), nullable=True),
    sa.Column('residual_tier', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('verdict', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('decision', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=True),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
    sa.Column('conditions', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('reviewer_id', sa.Integer(), nullable=True),
    sa.Column('reviewer', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=True),
    sa.Column('reviewed_at', app.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('signer_id', sa.Integer(), nullable=True),
    sa.Column('signer', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=True),
    sa.Column('signed_at', app.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('valid_until', sa.Date(), nullable=True),
    sa.Column('record_sha256', sa.String(length=64), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', app.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', app.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("decision IS NULL OR decision IN ('approve', 'approve_with_conditions', 'reject')", name=op.f('ck_assessment_decision')),
    sa.CheckConstraint("status <> 'signed' OR record_sha256 IS NOT NULL", name=op.f('ck_assessment_signed_has_record')),
    sa.CheckConstraint("status IN ('in_review', 'decided', 'signed')", name=op.f('ck_assessment_status')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_assessment_created_by_id_user_account')),
    sa.ForeignKeyConstraint(['integration_id'], ['integration.id'], name=op.f('fk_assessment_integration_id_integration')),
    sa.ForeignKeyConstraint(['record_sha256'], ['stored_file.sha256'], name=op.f('fk_assessment_record_sha256_stored_file')),
    sa.ForeignKeyConstraint(['reviewer_id'], ['user_account.id'], name=op.f('fk_assessment_reviewer_id_user_account')),
    sa.ForeignKeyConstraint(['signer_id'], ['user_account.id'], name=op.f('fk_assessment_signer_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assessment')),
    sa.UniqueConstraint('record_sha256', name=op.f('uq_assessment_record_sha256'))
    )
    with op.batch_alter_table('assessment', schema=None) as batch_op:
        batch_op.create_index('ix_assessment_integration_id_id', ['integration_id', 'id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('assessment', schema=None) as batch_op:
        batch_op.drop_index('ix_assessment_integration_id_id')

    op.drop_table('assessment')
