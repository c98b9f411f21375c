"""Order rules between the columns of a table (``orderRules`` of its Table Schema).

Revision ID: c0007
Revises: c0006
Create Date: 2026-12-05 04:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "c0007"
down_revision: str | None = "c0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None
SCHEMA = "catalog"


def upgrade() -> None:
    op.add_column(
        "dataset_table",
        sa.Column("order_rules", JSONB, server_default=sa.text("'[]'::jsonb"), nullable=False),
        schema=SCHEMA,
    )


def downgrade() -> None:
    op.drop_column("dataset_table", "order_rules", schema=SCHEMA)
