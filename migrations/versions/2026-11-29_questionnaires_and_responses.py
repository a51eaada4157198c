"""Questionnaire versions as loaded (with their content hash), responses bound to one version, their
answers, and invite links for vendors who answer without an account.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 03:57:48.255564
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

import app.core.db

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('questionnaire_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
    sa.Column('content_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('definition', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('loaded_at', app.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', app.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_questionnaire_version')),
    sa.UniqueConstraint('key', 'version', name='uq_questionnaire_version_key_version')
    )
    op.create_table('response',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('integration_id', sa.Integer(), nullable=False),
    sa.Column('questionnaire_version_id', sa.Integer(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('submitted_at', app.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('submitted_by', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=True),
    sa.Column('created_at', app.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', app.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("status IN ('draft', 'submitted')", name=op.f('ck_response_status')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_response_created_by_id_user_account')),
    sa.ForeignKeyConstraint(['integration_id'], ['integration.id'], name=op.f('fk_response_integration_id_integration')),
    sa.ForeignKeyConstraint(['questionnaire_version_id'], ['questionnaire_version.id'], name=op.f('fk_response_questionnaire_version_id_questionnaire_version')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_response'))
    )
    with op.batch_alter_table('response', schema=None) as batch_op:
        batch_op.create_index('ix_response_integration_id', ['integration_id', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_response_questionnaire_version_id'), ['questionnaire_version_id'], unique=False)

    op.create_table('response_answer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('response_id', sa.Integer(), nullable=False),
    sa.Column('question_id', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('value', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('na', sa.Boolean(), nullable=False),
    sa.Column('na_reason', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
    sa.Column('comment', sqlmodel.sql.sqltypes.AutoString(length=4000), nullable=True),
    sa.Column('evidence', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('evidence_document_id', sa.Integer(), nullable=True),
    sa.Column('compensating_control', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
    sa.Column('compensating_accepted', sa.Boolean(), nullable=True),
    sa.Column('reviewer_points', sa.Float(), nullable=True),
    sa.Column('answered_by', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
    sa.Column('updated_at', app.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("evidence IN ('self_attested', 'document', 'independent')", name=op.f('ck_response_answer_evidence')),
    sa.ForeignKeyConstraint(['response_id'], ['response.id'], name=op.f('fk_response_answer_response_id_response')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_response_answer')),
    sa.UniqueConstraint('response_id', 'question_id', name='uq_response_answer_response_id_question_id')
    )
    op.create_table('response_invite',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('response_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('email', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=True),
    sa.Column('expires_at', app.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', app.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', app.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_response_invite_created_by_id_user_account')),
    sa.ForeignKeyConstraint(['response_id'], ['response.id'], name=op.f('fk_response_invite_response_id_response')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_response_invite')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_response_invite_token_hash'))
    )
    with op.batch_alter_table('response_invite', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_response_invite_response_id'), ['response_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('response_invite', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_response_invite_response_id'))

    op.drop_table('response_invite')
    op.drop_table('response_answer')
    with op.batch_alter_table('response', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_response_questionnaire_version_id'))
        batch_op.drop_index('ix_response_integration_id')

    op.drop_table('response')
    op.drop_table('questionnaire_version')
