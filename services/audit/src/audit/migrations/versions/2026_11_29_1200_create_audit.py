"""Create the audit schema's outbox and inbox.

Revision ID: a0001
Revises:
Create Date: 2026-11-29 12:00:00
"""

from collections.abc import Sequence

from hdh_common.migrations import create_messaging_tables_v1, drop_messaging_tables_v1

revision: str = "a0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None
SCHEMA = "audit"


def upgrade() -> None:
    create_messaging_tables_v1(SCHEMA)


def downgrade() -> None:
    drop_messaging_tables_v1(SCHEMA)
