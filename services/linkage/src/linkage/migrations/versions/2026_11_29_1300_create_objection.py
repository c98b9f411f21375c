"""The register of objections, held as central pseudonyms.

Revision ID: l0003
Revises: l0002
Create Date: 2026-11-29 13:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "l0003"
down_revision: str | None = "l0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None
SCHEMA = "linkage"


def upgrade() -> None:
    op.create_table(
        "objection",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("central_pseudonym", sa.String(64), nullable=False),
        sa.Column("key_version", sa.Integer(), nullable=False),
        sa.Column("recorded_by", sa.String(255), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name="pk_objection"),
        sa.UniqueConstraint(
            "central_pseudonym", "key_version", name="uq_objection_central_pseudonym_key_version"
        ),
        schema=SCHEMA,
    )


def downgrade() -> None:
    op.drop_table("objection", schema=SCHEMA)
