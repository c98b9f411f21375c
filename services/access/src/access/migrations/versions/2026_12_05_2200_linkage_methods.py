"""Linkage as requested: each stored need says its method, and grants carry the needs.

Revision ID: r0009
Revises: r0008
Create Date: 2026-12-05 22:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "r0009"
down_revision: str | None = "r0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None
SCHEMA = "access"


def upgrade() -> None:
    op.add_column(
        "grant",
        sa.Column("linkage", JSONB, nullable=False, server_default=sa.text("'[]'::jsonb")),
        schema=SCHEMA,
    )
    op.execute(
        """
        UPDATE access.access_request SET linkage = (
            SELECT jsonb_agg(jsonb_build_object('method', 'deterministic') || need)
            FROM jsonb_array_elements(linkage) AS need
        )
        WHERE jsonb_array_length(linkage) > 0
        """
    )


def downgrade() -> None:
    op.execute(
        """
        UPDATE access.access_request SET linkage = (
            SELECT jsonb_agg(need - 'method')
            FROM jsonb_array_elements(linkage) AS need
            WHERE need->>'method' = 'deterministic'
        )
        WHERE jsonb_array_length(linkage) > 0
        """
    )
    op.drop_column("grant", "linkage", schema=SCHEMA)
