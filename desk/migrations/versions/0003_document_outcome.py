"""the outcome of a document's report, for lists

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('outcome', sa.String(length=20), nullable=True))
    # documents read before this revision: their outcome from the report they hold
    if op.get_bind().dialect.name == "sqlite":
        op.execute("UPDATE documents SET outcome = json_extract(report, '$.outcome') "
                   "WHERE report IS NOT NULL")
    else:
        op.execute("UPDATE documents SET outcome = report->>'outcome' WHERE report IS NOT NULL")


def downgrade() -> None:
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.drop_column('outcome')

