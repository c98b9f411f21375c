"""Free SQL analyses, and their results as project tables (no dataset, derived from grants);
when a closed space's files were removed.

Revision ID: w0002
Revises: w0001
Create Date: 2026-12-05 04:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "w0002"
down_revision: str | None = "w0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None
SCHEMA = "workspace"
NOW = sa.text("now()")


def upgrade() -> None:
    op.add_column(
        "space", sa.Column("purged_at", sa.DateTime(timezone=True), nullable=True), schema=SCHEMA
    )
    op.alter_column("project_table", "dataset_id", nullable=True, schema=SCHEMA)
    op.add_column(
        "project_table",
        sa.Column(
            "derived_from",
            postgresql.ARRAY(sa.Uuid()),
            server_default=sa.text("'{}'"),
            nullable=False,
        ),
        schema=SCHEMA,
    )
    op.alter_column("project_table", "derived_from", server_default=None, schema=SCHEMA)
    op.create_table(
        "analysis",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("project_id", sa.Uuid(), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("name", sa.String(63), nullable=False),
        sa.Column("sql", sa.Text(), nullable=False),
        sa.Column("tables", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("grant_ids", postgresql.ARRAY(sa.Uuid()), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("progress", sa.Float(), nullable=False),
        sa.Column("problem", postgresql.JSONB(), nullable=True),
        sa.Column("table_id", sa.Uuid(), nullable=True),
        sa.Column("rows", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_analysis"),
        schema=SCHEMA,
    )
    op.create_index(
        "ix_analysis_project", "analysis", ["project_id", "created_at", "id"], schema=SCHEMA
    )
    op.create_index("ix_analysis_state", "analysis", ["state", "created_at"], schema=SCHEMA)


def downgrade() -> None:
    op.drop_table("analysis", schema=SCHEMA)
    op.execute("DELETE FROM workspace.project_table WHERE dataset_id IS NULL")
    op.drop_column("project_table", "derived_from", schema=SCHEMA)
    op.alter_column("project_table", "dataset_id", nullable=False, schema=SCHEMA)
    op.drop_column("space", "purged_at", schema=SCHEMA)
