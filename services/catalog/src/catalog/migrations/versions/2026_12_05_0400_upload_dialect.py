"""An upload's declared CSV dialect: delimiter, quote, header, encoding, decimal mark (what
is not declared is detected); the delimiter alone may now be left to detection.

Revision ID: c0006
Revises: c0005
Create Date: 2026-12-05 04:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "c0006"
down_revision: str | None = "c0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None
SCHEMA = "catalog"


def upgrade() -> None:
    op.add_column(
        "upload",
        sa.Column("dialect", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
        schema=SCHEMA,
    )
    op.alter_column("upload", "delimiter", nullable=True, schema=SCHEMA)


def downgrade() -> None:
    op.execute("UPDATE catalog.upload SET delimiter = ',' WHERE delimiter IS NULL")
    op.alter_column("upload", "delimiter", nullable=False, schema=SCHEMA)
    op.drop_column("upload", "dialect", schema=SCHEMA)
