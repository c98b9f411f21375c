"""Create the workspace schema's outbox and inbox, its spaces, grants and project tables.

Revision ID: w0001
Revises:
Create Date: 2026-12-05 01:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from hdh_common.migrations import create_messaging_tables_v1, drop_messaging_tables_v1

revision: str = "w0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None
SCHEMA = "workspace"
NOW = sa.text("now()")


def upgrade() -> None:
    create_messaging_tables_v1(SCHEMA)
    op.create_table(
        "space",
        sa.Column("project_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("members", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("former_members", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("project_id", name="pk_space"),
        schema=SCHEMA,
    )
    op.create_index("ix_space_opened_at", "space", ["opened_at", "project_id"], schema=SCHEMA)
    op.create_table(
        "grant",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("project_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=True),
        sa.Column("period_end", sa.Date(), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_grant"),
        schema=SCHEMA,
    )
    op.create_index("ix_grant_project_id", "grant", ["project_id"], schema=SCHEMA)
    op.create_table(
        "project_table",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("project_id", sa.Uuid(), nullable=False),
        sa.Column("grant_id", sa.Uuid(), nullable=False),
        sa.Column("dataset_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("columns", postgresql.JSONB(), nullable=False),
        sa.Column("rows", sa.BigInteger(), nullable=False),
        sa.Column("key_version", sa.Integer(), nullable=False),
        sa.Column("bucket", sa.String(255), nullable=False),
        sa.Column("object_key", sa.String(1024), nullable=False),
        sa.Column("registered_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_project_table"),
        sa.UniqueConstraint("object_key", name="uq_project_table_object_key"),
        schema=SCHEMA,
    )
    for column in ("project_id", "grant_id"):
        op.create_index(f"ix_project_table_{column}", "project_table", [column], schema=SCHEMA)
    op.create_index(
        "ix_project_table_name", "project_table", ["project_id", "name", "id"], schema=SCHEMA
    )


def downgrade() -> None:
    op.drop_table("project_table", schema=SCHEMA)
    op.drop_table("grant", schema=SCHEMA)
    op.drop_table("space", schema=SCHEMA)
    drop_messaging_tables_v1(SCHEMA)
