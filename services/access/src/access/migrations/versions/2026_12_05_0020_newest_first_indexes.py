"""Indexes for the lists read newest first: access requests by creation, grants by issue.

Revision ID: r0004
Revises: r0003
Create Date: 2026-12-05 00:20:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "r0004"
down_revision: str | None = "r0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None
SCHEMA = "access"
INDEXES = {
    "ix_access_request_created_at_id": ("access_request", ["created_at", "id"]),
    "ix_grant_issued_at_id": ("grant", ["issued_at", "id"]),
}


def upgrade() -> None:
    for name, (table, columns) in INDEXES.items():
        op.create_index(name, table, columns, schema=SCHEMA)


def downgrade() -> None:
    for name, (table, _) in INDEXES.items():
        op.drop_index(name, table, schema=SCHEMA)
