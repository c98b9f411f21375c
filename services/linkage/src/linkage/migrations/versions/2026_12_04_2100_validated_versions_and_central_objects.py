"""Validated versions as the catalogue announced them, and write-once central object keys.

A pseudonymisation job takes its input and column kinds from ``validated_version`` only;
a ``central`` key is claimed in ``central_object`` by one job before it is written.

Revision ID: l0005
Revises: l0004
Create Date: 2026-12-04 21:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "l0005"
down_revision: str | None = "l0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None
SCHEMA = "linkage"


def upgrade() -> None:
    op.create_table(
        "validated_version",
        sa.Column("version_id", sa.Uuid(), nullable=False),
        sa.Column("dataset_id", sa.Uuid(), nullable=False),
        sa.Column("table_name", sa.String(255), nullable=False),
        sa.Column("bucket", sa.String(255), nullable=False),
        sa.Column("object_key", sa.String(1024), nullable=False),
        sa.Column("columns", JSONB(), nullable=False),
        sa.Column(
            "recorded_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.PrimaryKeyConstraint("version_id", name="pk_validated_version"),
        schema=SCHEMA,
    )
    op.create_table(
        "central_object",
        sa.Column("object_key", sa.String(1024), nullable=False),
        sa.Column("job_id", sa.Uuid(), nullable=False),
        sa.Column(
            "claimed_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.PrimaryKeyConstraint("object_key", name="pk_central_object"),
        schema=SCHEMA,
    )


def downgrade() -> None:
    op.drop_table("central_object", schema=SCHEMA)
    op.drop_table("validated_version", schema=SCHEMA)
