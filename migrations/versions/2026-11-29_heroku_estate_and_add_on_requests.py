"""Heroku estate (spaces, apps, add-on services, plans, installations, imports) and add-on request
decisions with their gate exceptions.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 05:19:27.384455
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

import app.core.db

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('heroku_import',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('file_sha256', sa.String(length=64), nullable=True),
    sa.Column('file_size', sa.BigInteger(), nullable=True),
    sa.Column('complete', sa.Boolean(), nullable=False),
    sa.Column('counts', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('skipped', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('actor', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
    sa.Column('created_at', app.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_heroku_import'))
    )
    op.create_table('heroku_space',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('heroku_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('shield', sa.Boolean(), nullable=True),
    sa.Column('region', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('team', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=50), nullable=True),
    sa.Column('first_seen_at', app.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', app.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_heroku_space')),
    sa.UniqueConstraint('heroku_id', name=op.f('uq_heroku_space_heroku_id')),
    sa.UniqueConstraint('name', name=op.f('uq_heroku_space_name'))
    )
    op.create_table('addon_service',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('heroku_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('human_name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('vendor_id', sa.Integer(), nullable=False),
    sa.Column('created_at', app.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['vendor_id'], ['vendor.id'], name=op.f('fk_addon_service_vendor_id_vendor')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_addon_service')),
    sa.UniqueConstraint('heroku_id', name=op.f('uq_addon_service_heroku_id')),
    sa.UniqueConstraint('name', name=op.f('uq_addon_service_name'))
    )
    with op.batch_alter_table('addon_service', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_addon_service_vendor_id'), ['vendor_id'], unique=False)

    op.create_table('heroku_app',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('heroku_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('team', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('region', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('space_id', sa.Integer(), nullable=True),
    sa.Column('space_known', sa.Boolean(), nullable=False),
    sa.Column('shield', sa.Boolean(), nullable=True),
    sa.Column('generation', sqlmodel.sql.sqltypes.AutoString(length=50), nullable=True),
    sa.Column('data_categories', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('first_seen_at', app.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', app.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', app.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['space_id'], ['heroku_space.id'], name=op.f('fk_heroku_app_space_id_heroku_space')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_heroku_app')),
    sa.UniqueConstraint('heroku_id', name=op.f('uq_heroku_app_heroku_id')),
    sa.UniqueConstraint('name', name=op.f('uq_heroku_app_name'))
    )
    with op.batch_alter_table('heroku_app', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_heroku_app_space_id'), ['space_id'], unique=False)

    op.create_table('addon_plan',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('heroku_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('service_id', sa.Integer(), nullable=False),
    sa.Column('human_name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('compliance', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('installable_inside_private_network', sa.Boolean(), nullable=True),
    sa.Column('installable_outside_private_network', sa.Boolean(), nullable=True),
    sa.Column('price_cents', sa.Integer(), nullable=True),
    sa.Column('price_unit', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
    sa.Column('price_contract', sa.Boolean(), nullable=True),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=50), nullable=True),
    sa.Column('details_seen_at', app.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['service_id'], ['addon_service.id'], name=op.f('fk_addon_plan_service_id_addon_service')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_addon_plan')),
    sa.UniqueConstraint('heroku_id', name=op.f('uq_addon_plan_heroku_id')),
    sa.UniqueConstraint('name', name=op.f('uq_addon_plan_name'))
    )
    with op.batch_alter_table('addon_plan', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_addon_plan_service_id'), ['service_id'], unique=False)

    op.create_table('gate_exception',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('integration_id', sa.Integer(), nullable=False),
    sa.Column('gate', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
    sa.Column('expires_on', sa.Date(), nullable=False),
    sa.Column('granted_by_id', sa.Integer(), nullable=True),
    sa.Column('granted_by', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
    sa.Column('created_at', app.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('voided_at', app.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['granted_by_id'], ['user_account.id'], name=op.f('fk_gate_exception_granted_by_id_user_account')),
    sa.ForeignKeyConstraint(['integration_id'], ['integration.id'], name=op.f('fk_gate_exception_integration_id_integration')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_gate_exception'))
    )
    with op.batch_alter_table('gate_exception', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_gate_exception_integration_id'), ['integration_id'], unique=False)

    op.create_table('integration_decision',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('integration_id', sa.Integer(), nullable=False),
    sa.Column('decision', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
    sa.Column('conditions', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('gates', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_by', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
    sa.Column('created_at', app.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['decided_by_id'], ['user_account.id'], name=op.f('fk_integration_decision_decided_by_id_user_account')),
    sa.ForeignKeyConstraint(['integration_id'], ['integration.id'], name=op.f('fk_integration_decision_integration_id_integration')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_integration_decision'))
    )
    with op.batch_alter_table('integration_decision', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_integration_decision_integration_id'), ['integration_id'], unique=False)

    op.create_table('addon_installation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('heroku_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('app_id', sa.Integer(), nullable=False),
    sa.Column('service_id', sa.Integer(), nullable=True),
    sa.Column('plan_id', sa.Integer(), nullable=True),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=50), nullable=True),
    sa.Column('config_vars', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('attachments', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('billed_price_cents', sa.Integer(), nullable=True),
    sa.Column('billed_price_unit', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
    sa.Column('provider_id', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('web_url', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.Column('heroku_created_at', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
    sa.Column('integration_id', sa.Integer(), nullable=True),
    sa.Column('first_seen_at', app.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', app.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('gone_at', app.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['app_id'], ['heroku_app.id'], name=op.f('fk_addon_installation_app_id_heroku_app')),
    sa.ForeignKeyConstraint(['integration_id'], ['integration.id'], name=op.f('fk_addon_installation_integration_id_integration')),
    sa.ForeignKeyConstraint(['plan_id'], ['addon_plan.id'], name=op.f('fk_addon_installation_plan_id_addon_plan')),
    sa.ForeignKeyConstraint(['service_id'], ['addon_service.id'], name=op.f('fk_addon_installation_service_id_addon_service')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_addon_installation')),
    sa.UniqueConstraint('heroku_id', name=op.f('uq_addon_installation_heroku_id'))
    )
    with op.batch_alter_table('addon_installation', schema=None) as batch_op:
        batch_op.create_index('ix_addon_installation_app_id_name', ['app_id', 'name'], unique=False)
        batch_op.create_index(batch_op.f('ix_addon_installation_integration_id'), ['integration_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_addon_installation_plan_id'), ['plan_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_addon_installation_service_id'), ['service_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('addon_installation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_addon_installation_service_id'))
        batch_op.drop_index(batch_op.f('ix_addon_installation_plan_id'))
        batch_op.drop_index(batch_op.f('ix_addon_installation_integration_id'))
        batch_op.drop_index('ix_addon_installation_app_id_name')

    op.drop_table('addon_installation')
    with op.batch_alter_table('integration_decision', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_integration_decision_integration_id'))

    op.drop_table('integration_decision')
    with op.batch_alter_table('gate_exception', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_gate_exception_integration_id'))

    op.drop_table('gate_exception')
    with op.batch_alter_table('addon_plan', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_addon_plan_service_id'))

    op.drop_table('addon_plan')
    with op.batch_alter_table('heroku_app', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_heroku_app_space_id'))

    op.drop_table('heroku_app')
    with op.batch_alter_table('addon_service', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_addon_service_vendor_id'))

    op.drop_table('addon_service')
    op.drop_table('heroku_space')
    op.drop_table('heroku_import')
