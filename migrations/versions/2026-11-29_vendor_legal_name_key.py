"""Vendor legal_name_key: NFKC + casefold of the legal name, unique, so the database itself refuses
two spellings of one company (SQLite's lower() folds ASCII only, and a check in code can race).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 03:29:34.493257
"""

import unicodedata
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _key(legal_name: str) -> str:
    # The rule of app.vendors.service.legal_name_key, frozen here as it was when this migration was written.
    return " ".join(unicodedata.normalize("NFKC", legal_name).casefold().split())


def upgrade() -> None:
    with op.batch_alter_table('vendor', schema=None) as batch_op:
        batch_op.add_column(sa.Column('legal_name_key', sqlmodel.sql.sqltypes.AutoString(length=400), nullable=True))
    bind = op.get_bind()
    vendor = sa.table("vendor", sa.column("id", sa.Integer), sa.column("legal_name", sa.String),
                      sa.column("legal_name_key", sa.String))
    for row in bind.execute(sa.select(vendor.c.id, vendor.c.legal_name)).all():
        bind.execute(vendor.update().where(vendor.c.id == row.id).values(legal_name_key=_key(row.legal_name)))
    with op.batch_alter_table('vendor', schema=None) as batch_op:
        batch_op.alter_column('legal_name_key', existing_type=sqlmodel.sql.sqltypes.AutoString(length=400),
                              nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_vendor_legal_name_key'), ['legal_name_key'])



def downgrade() -> None:
    with op.batch_alter_table('vendor', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_vendor_legal_name_key'), type_='unique')
        batch_op.drop_column('legal_name_key')

