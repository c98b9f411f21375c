"""Four-eyes crypto-shredding: requests to destroy a domain's keys, and who confirmed them.

Revision ID: l0006
Revises: l0005
Create Date: 2026-12-04 21:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "l0006"
down_revision: str | None = "l0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None
SCHEMA = "linkage"


def upgrade() -> None:
    op.create_table(
        "domain_key_destruction",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("domain", sa.String(100), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("requested_by", sa.String(255), nullable=False),
        sa.Column(
            "requested_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("confirmed_by", sa.String(255)),
        sa.Column("confirmed_at", sa.DateTime(timezone=True)),
        sa.PrimaryKeyConstraint("id", name="pk_domain_key_destruction"),
        schema=SCHEMA,
    )
    op.create_index(
        "uq_domain_key_destruction_pending",
        "domain_key_destruction",
        ["domain"],
        unique=True,
        postgresql_where=sa.text("confirmed_at IS NULL"),
        schema=SCHEMA,
    )


def downgrade() -> None:
    op.drop_table("domain_key_destruction", schema=SCHEMA)
