"""Integration indexes for the dashboard: (status, kind, inherent_rank) answers the counts by status, the
residual-risk heatmap's tier × status counts and the undecided add-on requests from the index alone;
(requested_by_id, id) finds an engineer's own requests without reading every integration.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29 09:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('integration', schema=None) as batch_op:
        batch_op.create_index('ix_integration_status_kind_rank', ['status', 'kind', 'inherent_rank'], unique=False)
        batch_op.create_index('ix_integration_requested_by_id_id', ['requested_by_id', 'id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('integration', schema=None) as batch_op:
        batch_op.drop_index('ix_integration_requested_by_id_id')
        batch_op.drop_index('ix_integration_status_kind_rank')
