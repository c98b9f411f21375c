"""Create the catalogue: outbox, inbox and datasets.

Revision ID: c0001
Revises:
Create Date: 2026-11-29 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from hdh_common.migrations import create_messaging_tables_v1, drop_messaging_tables_v1

revision: str = "c0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None
SCHEMA = "catalog"


def upgrade() -> None:
    create_messaging_tables_v1(SCHEMA)
    op.create_table(
        "dataset",
        sa.Column("id", sa.Uuid, nullable=False),
        sa.Column("slug", sa.String(100), nullable=False),
        sa.Column("title", sa.String(500), nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("publisher", sa.String(100), nullable=False),
        sa.Column("created_by", sa.String(255), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name="pk_dataset"),
        sa.UniqueConstraint("slug", name="uq_dataset_slug"),
        schema=SCHEMA,
    )
    op.create_index("ix_dataset_publisher", "dataset", ["publisher"], schema=SCHEMA)


def downgrade() -> None:
    op.drop_index("ix_dataset_publisher", table_name="dataset", schema=SCHEMA)
    op.drop_table("dataset", schema=SCHEMA)
    drop_messaging_tables_v1(SCHEMA)
