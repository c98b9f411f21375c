"""Versions and extract files name their table; grants name the request they serve.

A catalogue dataset has several tables, each validated and pseudonymised as its own
version, and a grant lists variables as (table, name): extracts are built per table.

Revision ID: l0004
Revises: l0003
Create Date: 2026-11-29 15:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "l0004"
down_revision: str | None = "l0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None
SCHEMA = "linkage"


def upgrade() -> None:
    for table in ("pseudonymised_version", "extract_file"):
        op.add_column(
            table,
            sa.Column("table_name", sa.String(255), nullable=False, server_default=""),
            schema=SCHEMA,
        )
        op.alter_column(table, "table_name", server_default=None, schema=SCHEMA)
    op.create_index(
        "ix_pseudonymised_version_dataset_id_table_name",
        "pseudonymised_version",
        ["dataset_id", "table_name"],
        schema=SCHEMA,
    )
    op.add_column("grant", sa.Column("request_id", sa.Uuid(), nullable=True), schema=SCHEMA)


def downgrade() -> None:
    op.drop_column("grant", "request_id", schema=SCHEMA)
    op.drop_index(
        "ix_pseudonymised_version_dataset_id_table_name",
        table_name="pseudonymised_version",
        schema=SCHEMA,
    )
    for table in ("extract_file", "pseudonymised_version"):
        op.drop_column(table, "table_name", schema=SCHEMA)
