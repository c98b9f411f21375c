"""The airlock: outputs, release requests, the outputs in them and the checkers' reviews.

Revision ID: w0003
Revises: w0002
Create Date: 2026-12-05 05:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "w0003"
down_revision: str | None = "w0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None
SCHEMA = "workspace"
NOW = sa.text("now()")


def upgrade() -> None:
    op.create_table(
        "output",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("project_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(63), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("format", sa.String(20), nullable=False),
        sa.Column("table_id", sa.Uuid(), nullable=True),
        sa.Column("analysis_id", sa.Uuid(), nullable=True),
        sa.Column("persons_column", sa.String(255), nullable=True),
        sa.Column("object_key", sa.String(1024), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_output"),
        sa.ForeignKeyConstraint(
            ["table_id"], ["workspace.output.id"], name="fk_output_table_id_output"
        ),
        sa.UniqueConstraint("project_id", "name", "version", name="uq_output_version"),
        sa.UniqueConstraint("object_key", name="uq_output_object_key"),
        schema=SCHEMA,
    )
    op.create_index(
        "ix_output_project", "output", ["project_id", "created_at", "id"], schema=SCHEMA
    )
    op.create_table(
        "release_request",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("project_id", sa.Uuid(), nullable=False),
        sa.Column("requester", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("justification", sa.Text(), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_release_request"),
        schema=SCHEMA,
    )
    op.create_index(
        "ix_release_request_project",
        "release_request",
        ["project_id", "submitted_at", "id"],
        schema=SCHEMA,
    )
    op.create_index(
        "ix_release_request_state", "release_request", ["state", "due_on"], schema=SCHEMA
    )
    op.create_table(
        "requested_output",
        sa.Column("request_id", sa.Uuid(), nullable=False),
        sa.Column("output_id", sa.Uuid(), nullable=False),
        sa.Column("check", postgresql.JSONB(), nullable=False),
        sa.Column("outcome", sa.String(20), nullable=True),
        sa.PrimaryKeyConstraint("request_id", "output_id", name="pk_requested_output"),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["workspace.release_request.id"],
            name="fk_requested_output_request_id_release_request",
        ),
        sa.ForeignKeyConstraint(
            ["output_id"], ["workspace.output.id"], name="fk_requested_output_output_id_output"
        ),
        schema=SCHEMA,
    )
    op.create_table(
        "review",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("request_id", sa.Uuid(), nullable=False),
        sa.Column("output_id", sa.Uuid(), nullable=False),
        sa.Column("checker", sa.Text(), nullable=False),
        sa.Column("decision", sa.String(20), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_review"),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["workspace.release_request.id"],
            name="fk_review_request_id_release_request",
        ),
        sa.ForeignKeyConstraint(
            ["output_id"], ["workspace.output.id"], name="fk_review_output_id_output"
        ),
        sa.UniqueConstraint("request_id", "output_id", "checker", name="uq_review_checker"),
        schema=SCHEMA,
    )
    op.create_index("ix_review_request_id", "review", ["request_id"], schema=SCHEMA)


def downgrade() -> None:
    for table in ("review", "requested_output", "release_request", "output"):
        op.drop_table(table, schema=SCHEMA)
