"""Indexes for the job list: newest first, and filtered by the version a job works on.

Revision ID: l0007
Revises: l0006
Create Date: 2026-12-05 00:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "l0007"
down_revision: str | None = "l0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None
SCHEMA = "linkage"


def upgrade() -> None:
    op.create_index("ix_job_created_at_id", "job", ["created_at", "id"], schema=SCHEMA)
    op.create_index(
        "ix_job_version_id", "job", [sa.text("(params ->> 'version_id')")], schema=SCHEMA
    )


def downgrade() -> None:
    op.drop_index("ix_job_version_id", "job", schema=SCHEMA)
    op.drop_index("ix_job_created_at_id", "job", schema=SCHEMA)
