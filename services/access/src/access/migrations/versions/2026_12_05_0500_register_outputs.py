"""The public register counts the outputs released from each project's space.

Revision ID: r0005
Revises: r0004
Create Date: 2026-12-05 05:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "r0005"
down_revision: str | None = "r0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None
SCHEMA = "access"


def upgrade() -> None:
    op.add_column(
        "register_entry",
        sa.Column("outputs_released", sa.Integer(), server_default="0", nullable=False),
        schema=SCHEMA,
    )
    op.alter_column("register_entry", "outputs_released", server_default=None, schema=SCHEMA)
    op.add_column(
        "register_entry",
        sa.Column("last_output_released_at", sa.DateTime(timezone=True), nullable=True),
        schema=SCHEMA,
    )


def downgrade() -> None:
    op.drop_column("register_entry", "last_output_released_at", schema=SCHEMA)
    op.drop_column("register_entry", "outputs_released", schema=SCHEMA)
