"""The researchers' variable basket.

Revision ID: c0004
Revises: c0003
Create Date: 2026-11-29 13:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c0004"
down_revision: str | None = "c0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None
SCHEMA = "catalog"


def upgrade() -> None:
    op.create_table(
        "basket_item",
        sa.Column("owner", sa.String(255), nullable=False),
        sa.Column("dataset_id", sa.Uuid, nullable=False),
        sa.Column("table_name", sa.String(200), nullable=False),
        sa.Column("variable_name", sa.String(200), nullable=False),
        sa.Column(
            "added_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.PrimaryKeyConstraint(
            "owner", "dataset_id", "table_name", "variable_name", name="pk_basket_item"
        ),
        sa.ForeignKeyConstraint(
            ["dataset_id"],
            ["catalog.dataset.id"],
            ondelete="CASCADE",
            name="fk_basket_item_dataset_id_dataset",
        ),
        schema=SCHEMA,
    )


def downgrade() -> None:
    op.drop_table("basket_item", schema=SCHEMA)
