"""Uploads of a project's own data: a project and its grant instead of a dataset, the Table
Schema the file is validated against, and the validation report.

Revision ID: c0009
Revises: c0008
Create Date: 2026-12-05 22:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "c0009"
down_revision: str | None = "c0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None
SCHEMA = "catalog"


def upgrade() -> None:
    op.alter_column("upload", "dataset_id", nullable=True, schema=SCHEMA)
    op.add_column("upload", sa.Column("project_id", sa.Uuid(), nullable=True), schema=SCHEMA)
    op.add_column("upload", sa.Column("grant_id", sa.Uuid(), nullable=True), schema=SCHEMA)
    for name in ("table_schema", "report"):
        op.add_column("upload", sa.Column(name, postgresql.JSONB(), nullable=True), schema=SCHEMA)
    op.create_index("ix_upload_project_id", "upload", ["project_id"], schema=SCHEMA)
    op.create_check_constraint(
        op.f("ck_upload_one_target"),
        "upload",
        "(dataset_id IS NULL) <> (project_id IS NULL)",
        schema=SCHEMA,
    )


def downgrade() -> None:
    op.execute("DELETE FROM catalog.upload WHERE dataset_id IS NULL")
    op.drop_constraint(op.f("ck_upload_one_target"), "upload", schema=SCHEMA)
    op.drop_index("ix_upload_project_id", "upload", schema=SCHEMA)
    for name in ("report", "table_schema", "grant_id", "project_id"):
        op.drop_column("upload", name, schema=SCHEMA)
    op.alter_column("upload", "dataset_id", nullable=False, schema=SCHEMA)
