"""Create the access schema: outbox, inbox and the catalogue's dataset references.

Revision ID: r0001
Revises:
Create Date: 2026-11-29 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from hdh_common.migrations import create_messaging_tables_v1, drop_messaging_tables_v1

revision: str = "r0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None
SCHEMA = "access"


def upgrade() -> None:
    create_messaging_tables_v1(SCHEMA)
    op.create_table(
        "dataset_ref",
        sa.Column("id", sa.Uuid, nullable=False),
        sa.Column("slug", sa.String(100), nullable=False),
        sa.Column("title", sa.String(500), nullable=False),
        sa.Column("publisher", sa.String(100), nullable=False),
        sa.Column(
            "registered_at",
            sa.DateTime(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name="pk_dataset_ref"),
        schema=SCHEMA,
    )


def downgrade() -> None:
    op.drop_table("dataset_ref", schema=SCHEMA)
    drop_messaging_tables_v1(SCHEMA)
