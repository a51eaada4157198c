"""Vendors and integrations: the register's first two tables, indexed for filtered, sorted lists.

Revision ID: 0001
Revises:
Create Date: 2026-11-29 03:02:46.784289
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

import app.core.db

revision: str = '0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('vendor',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('legal_name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('website', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.Column('country', sqlmodel.sql.sqltypes.AutoString(length=2), nullable=False),
    sa.Column('data_locations', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('subprocessors', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('contacts', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('offboarded_at', app.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('offboard_reason', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
    sa.Column('created_at', app.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', app.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("status IN ('prospective', 'active', 'offboarded')", name=op.f('ck_vendor_status')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_vendor')),
    sa.UniqueConstraint('legal_name', name=op.f('uq_vendor_legal_name'))
    )
    with op.batch_alter_table('vendor', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_vendor_country'), ['country'], unique=False)
        batch_op.create_index('ix_vendor_created_at_id', ['created_at', 'id'], unique=False)
        batch_op.create_index('ix_vendor_name_id', ['name', 'id'], unique=False)
        batch_op.create_index('ix_vendor_status_name', ['status', 'name', 'id'], unique=False)
        batch_op.create_index('ix_vendor_updated_at_id', ['updated_at', 'id'], unique=False)

    op.create_table('integration',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('vendor_id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('purpose', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
    sa.Column('data_categories', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('access', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('volume', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('data_filtering', sqlmodel.sql.sqltypes.AutoString(length=4000), nullable=True),
    sa.Column('fields_shared', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('transfer_countries', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('business_criticality', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('substitutability', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('heroku_app', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('addon_plan', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('inherent_tier', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('inherent_rank', sa.Integer(), nullable=False),
    sa.Column('inherent_driver', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('inherent_rules', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
    sa.Column('created_at', app.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', app.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("access IN ('none', 'read', 'write', 'admin')", name=op.f('ck_integration_access')),
    sa.CheckConstraint("business_criticality IN ('low', 'medium', 'high', 'critical')", name=op.f('ck_integration_business_criticality')),
    sa.CheckConstraint("inherent_tier IN ('low', 'medium', 'high', 'critical')", name=op.f('ck_integration_inherent_tier')),
    sa.CheckConstraint("kind IN ('heroku_addon', 'saas', 'api', 'other')", name=op.f('ck_integration_kind')),
    sa.CheckConstraint("status IN ('requested', 'in_review', 'approved', 'approved_with_conditions', 'rejected', 'retired')", name=op.f('ck_integration_status')),
    sa.CheckConstraint("substitutability IN ('easy', 'hard', 'none')", name=op.f('ck_integration_substitutability')),
    sa.CheckConstraint("volume IN ('lt_1k', 'lt_100k', 'lt_10m', 'gte_10m')", name=op.f('ck_integration_volume')),
    sa.CheckConstraint('inherent_rank BETWEEN 0 AND 3', name=op.f('ck_integration_inherent_rank')),
    sa.ForeignKeyConstraint(['vendor_id'], ['vendor.id'], name=op.f('fk_integration_vendor_id_vendor')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_integration'))
    )
    with op.batch_alter_table('integration', schema=None) as batch_op:
        batch_op.create_index('ix_integration_created_at_id', ['created_at', 'id'], unique=False)
        batch_op.create_index('ix_integration_inherent_rank_id', ['inherent_rank', 'id'], unique=False)
        batch_op.create_index('ix_integration_inherent_tier_name', ['inherent_tier', 'name', 'id'], unique=False)
        batch_op.create_index('ix_integration_kind_name', ['kind', 'name', 'id'], unique=False)
        batch_op.create_index('ix_integration_name_id', ['name', 'id'], unique=False)
        batch_op.create_index('ix_integration_status_name', ['status', 'name', 'id'], unique=False)
        batch_op.create_index('ix_integration_updated_at_id', ['updated_at', 'id'], unique=False)
        batch_op.create_index('ix_integration_vendor_id_name', ['vendor_id', 'name', 'id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('integration', schema=None) as batch_op:
        batch_op.drop_index('ix_integration_vendor_id_name')
        batch_op.drop_index('ix_integration_updated_at_id')
        batch_op.drop_index('ix_integration_status_name')
        batch_op.drop_index('ix_integration_name_id')
        batch_op.drop_index('ix_integration_kind_name')
        batch_op.drop_index('ix_integration_inherent_tier_name')
        batch_op.drop_index('ix_integration_inherent_rank_id')
        batch_op.drop_index('ix_integration_created_at_id')

    op.drop_table('integration')
    with op.batch_alter_table('vendor', schema=None) as batch_op:
        batch_op.drop_index('ix_vendor_updated_at_id')
        batch_op.drop_index('ix_vendor_status_name')
        batch_op.drop_index('ix_vendor_name_id')
        batch_op.drop_index('ix_vendor_created_at_id')
        batch_op.drop_index(batch_op.f('ix_vendor_country'))

    op.drop_table('vendor')
