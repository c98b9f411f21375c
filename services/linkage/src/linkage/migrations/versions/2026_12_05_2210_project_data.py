"""Projects' own data: each validated file, from the landing bucket to the project's space.

Revision ID: l0011
Revises: l0010
Create Date: 2026-12-05 22:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "l0011"
down_revision: str | None = "l0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None
SCHEMA = "linkage"


def upgrade() -> None:
    op.create_table(
        "project_data",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("project_id", sa.Uuid(), nullable=False),
        sa.Column("grant_id", sa.Uuid(), nullable=False),
        sa.Column("table_name", sa.String(255), nullable=False),
        sa.Column("landing_bucket", sa.String(255), nullable=False),
        sa.Column("landing_key", sa.String(1024), nullable=False),
        sa.Column("columns", postgresql.JSONB(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("reason", sa.Text()),
        sa.Column("object_key", sa.String(1024)),
        sa.Column("rows", sa.BigInteger()),
        sa.Column("key_version", sa.Integer()),
        sa.Column("created_by", sa.String(255), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.PrimaryKeyConstraint("id", name="pk_project_data"),
        schema=SCHEMA,
    )
    op.create_index(
        "ix_project_data_project",
        "project_data",
        ["project_id", "created_at", "id"],
        schema=SCHEMA,
    )


def downgrade() -> None:
    op.drop_table("project_data", schema=SCHEMA)
