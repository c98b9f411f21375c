"""Create the notebook sessions of the project spaces.

Revision ID: w0004
Revises: w0003
Create Date: 2026-12-05 06:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "w0004"
down_revision: str | None = "w0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None
SCHEMA = "workspace"
NOW = sa.text("now()")
ACTIVE = sa.text("status <> 'stopped'")


def upgrade() -> None:
    op.create_table(
        "session",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("project_id", sa.Uuid(), nullable=False),
        sa.Column("subject", sa.String(255), nullable=False),
        sa.Column("server_name", sa.String(255), nullable=False),
        sa.Column("grant_ids", postgresql.ARRAY(sa.Uuid()), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("stop_reason", sa.Text(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("stopped_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_session"),
        schema=SCHEMA,
    )
    op.create_index(
        "uq_session_project_id_subject_active",
        "session",
        ["project_id", "subject"],
        unique=True,
        postgresql_where=ACTIVE,
        schema=SCHEMA,
    )
    op.create_index(
        "ix_session_started_at", "session", ["project_id", "started_at", "id"], schema=SCHEMA
    )
    op.create_index(
        "ix_session_status", "session", ["status"], postgresql_where=ACTIVE, schema=SCHEMA
    )


def downgrade() -> None:
    op.drop_table("session", schema=SCHEMA)
