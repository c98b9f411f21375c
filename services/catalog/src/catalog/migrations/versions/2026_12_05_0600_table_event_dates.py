"""A table's event-date column(s): what a grant's period is applied to.

Revision ID: c0008
Revises: c0007
Create Date: 2026-12-05 06:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "c0008"
down_revision: str | None = "c0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None
SCHEMA = "catalog"


def upgrade() -> None:
    op.add_column(
        "dataset_table",
        sa.Column("event_dates", postgresql.ARRAY(sa.Text), nullable=False, server_default="{}"),
        schema=SCHEMA,
    )


def downgrade() -> None:
    op.drop_column("dataset_table", "event_dates", schema=SCHEMA)
