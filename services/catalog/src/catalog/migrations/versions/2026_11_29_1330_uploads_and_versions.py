"""Producer uploads, their parts, and immutable dataset versions.

Revision ID: c0003
Revises: c0002
Create Date: 2026-11-29 13:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "c0003"
down_revision: str | None = "c0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None
SCHEMA = "catalog"
_IMMUTABLE = f"""
CREATE FUNCTION {SCHEMA}.refuse_version_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'dataset versions are immutable: % refused', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END $$"""


def _at(name: str) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False)


def upgrade() -> None:
    op.create_table(
        "upload",
        sa.Column("id", sa.Uuid, nullable=False),
        sa.Column("dataset_id", sa.Uuid, nullable=False),
        sa.Column("table_name", sa.String(200), nullable=False),
        sa.Column("format", sa.String(20), nullable=False),
        sa.Column("delimiter", sa.String(1), nullable=False),
        sa.Column("declared_size", sa.BigInteger, nullable=False),
        sa.Column("declared_sha256", sa.String(64), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("created_by", sa.String(255), nullable=False),
        _at("created_at"),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_upload"),
        sa.ForeignKeyConstraint(
            ["dataset_id"],
            ["catalog.dataset.id"],
            ondelete="CASCADE",
            name="fk_upload_dataset_id_dataset",
        ),
        schema=SCHEMA,
    )
    op.create_index("ix_upload_dataset_id", "upload", ["dataset_id"], schema=SCHEMA)
    op.create_index("ix_upload_expires_at", "upload", ["expires_at"], schema=SCHEMA)
    op.create_table(
        "upload_part",
        sa.Column("upload_id", sa.Uuid, nullable=False),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        _at("received_at"),
        sa.PrimaryKeyConstraint("upload_id", "number", name="pk_upload_part"),
        sa.ForeignKeyConstraint(
            ["upload_id"],
            ["catalog.upload.id"],
            ondelete="CASCADE",
            name="fk_upload_part_upload_id_upload",
        ),
        schema=SCHEMA,
    )
    op.create_table(
        "dataset_version",
        sa.Column("id", sa.Uuid, nullable=False),
        sa.Column("dataset_id", sa.Uuid, nullable=False),
        sa.Column("table_name", sa.String(200), nullable=False),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("upload_id", sa.Uuid, nullable=False),
        sa.Column("source_size", sa.BigInteger, nullable=False),
        sa.Column("source_sha256", sa.String(64), nullable=False),
        sa.Column("row_count", sa.BigInteger, nullable=False),
        sa.Column("object_key", sa.String(1024)),
        sa.Column("object_sha256", sa.String(64)),
        sa.Column("object_size", sa.BigInteger),
        sa.Column("report", JSONB, nullable=False),
        sa.Column("statistics", JSONB, nullable=False),
        sa.Column("created_by", sa.String(255), nullable=False),
        _at("created_at"),
        sa.PrimaryKeyConstraint("id", name="pk_dataset_version"),
        sa.ForeignKeyConstraint(
            ["dataset_id"],
            ["catalog.dataset.id"],
            ondelete="CASCADE",
            name="fk_dataset_version_dataset_id_dataset",
        ),
        sa.UniqueConstraint(
            "dataset_id",
            "table_name",
            "number",
            name="uq_dataset_version_dataset_id_table_name_number",
        ),
        schema=SCHEMA,
    )
    op.execute(_IMMUTABLE)
    op.execute(
        f"CREATE TRIGGER dataset_version_immutable BEFORE UPDATE ON {SCHEMA}.dataset_version"
        f" FOR EACH ROW EXECUTE FUNCTION {SCHEMA}.refuse_version_change()"
    )


def downgrade() -> None:
    op.execute(f"DROP TRIGGER dataset_version_immutable ON {SCHEMA}.dataset_version")
    op.execute(f"DROP FUNCTION {SCHEMA}.refuse_version_change()")
    op.drop_table("dataset_version", schema=SCHEMA)
    op.drop_table("upload_part", schema=SCHEMA)
    op.drop_index("ix_upload_expires_at", table_name="upload", schema=SCHEMA)
    op.drop_index("ix_upload_dataset_id", table_name="upload", schema=SCHEMA)
    op.drop_table("upload", schema=SCHEMA)
