"""The master key that sealed each domain key: ``file`` for every key sealed so far.

Revision ID: l0008
Revises: l0007
Create Date: 2026-12-05 04:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "l0008"
down_revision: str | None = "l0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None
SCHEMA = "linkage"


def upgrade() -> None:
    op.add_column(
        "domain_key",
        sa.Column("master_key_id", sa.String(200), server_default="file", nullable=False),
        schema=SCHEMA,
    )
    op.alter_column("domain_key", "master_key_id", server_default=None, schema=SCHEMA)


def downgrade() -> None:
    op.drop_column("domain_key", "master_key_id", schema=SCHEMA)
