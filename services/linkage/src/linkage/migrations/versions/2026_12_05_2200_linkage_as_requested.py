"""Linkage as requested: the grant's linkage needs, and the link tables built from them.

Revision ID: l0010
Revises: l0009
Create Date: 2026-12-05 22:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "l0010"
down_revision: str | None = "l0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None
SCHEMA = "linkage"


def upgrade() -> None:
    op.add_column(
        "grant",
        sa.Column(
            "linkage", postgresql.JSONB, nullable=False, server_default=sa.text("'[]'::jsonb")
        ),
        schema=SCHEMA,
    )
    op.create_table(
        "link_table",
        sa.Column("id", sa.Uuid, nullable=False),
        sa.Column("grant_id", sa.Uuid, nullable=False),
        sa.Column("project_id", sa.Uuid, nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("method", sa.String(20), nullable=False),
        sa.Column("datasets", postgresql.ARRAY(sa.Uuid()), nullable=False),
        sa.Column("object_key", sa.String(1024), nullable=False),
        sa.Column("rows", sa.BigInteger, nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("key_version", sa.Integer, nullable=False),
        sa.Column("report", postgresql.JSONB, nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name="pk_link_table"),
        sa.UniqueConstraint("object_key", name="uq_link_table_object_key"),
        schema=SCHEMA,
    )
    op.create_index("ix_link_table_grant_id", "link_table", ["grant_id"], schema=SCHEMA)
    op.create_index("ix_link_table_project_id", "link_table", ["project_id"], schema=SCHEMA)


def downgrade() -> None:
    op.drop_table("link_table", schema=SCHEMA)
    op.drop_column("grant", "linkage", schema=SCHEMA)
