"""The grant's period: extracts keep only the rows whose event date falls inside it.

Revision ID: l0009
Revises: l0008
Create Date: 2026-12-05 06:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "l0009"
down_revision: str | None = "l0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None
SCHEMA = "linkage"


def upgrade() -> None:
    op.add_column("grant", sa.Column("period_start", sa.Date, nullable=True), schema=SCHEMA)
    op.add_column("grant", sa.Column("period_end", sa.Date, nullable=True), schema=SCHEMA)


def downgrade() -> None:
    op.drop_column("grant", "period_end", schema=SCHEMA)
    op.drop_column("grant", "period_start", schema=SCHEMA)
