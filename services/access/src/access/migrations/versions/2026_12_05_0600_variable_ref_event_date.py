"""Whether a catalogue variable is its table's event date (the grant's period applies to it).

Revision ID: r0006
Revises: r0005
Create Date: 2026-12-05 06:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "r0006"
down_revision: str | None = "r0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None
SCHEMA = "access"


def upgrade() -> None:
    op.add_column(
        "variable_ref",
        sa.Column("event_date", sa.Boolean, nullable=False, server_default=sa.false()),
        schema=SCHEMA,
    )


def downgrade() -> None:
    op.drop_column("variable_ref", "event_date", schema=SCHEMA)
