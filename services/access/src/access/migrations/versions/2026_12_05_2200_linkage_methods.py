"""Linkage as requested: each stored need says its method, grants carry the needs, and the
catalogue's variables their identifier kind (unknown, NULL, for those recorded before: it is
learnt when their table is published again).

Revision ID: r0008
Revises: r0007
Create Date: 2026-12-05 22:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "r0008"
down_revision: str | None = "r0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None
SCHEMA = "access"


def upgrade() -> None:
    op.add_column(
        "variable_ref",
        sa.Column("identifier", sa.String(30), nullable=True),
        schema=SCHEMA,
    )
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
    op.drop_column("variable_ref", "identifier", schema=SCHEMA)
