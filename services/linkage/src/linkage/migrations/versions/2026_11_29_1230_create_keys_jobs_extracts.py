"""Domain keys, jobs, pseudonymised versions, the grant read model and extract files.

Revision ID: l0002
Revises: l0001
Create Date: 2026-11-29 12:30:00
"""

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

revision: str = "l0002"
down_revision: str | None = "l0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None
SCHEMA = "linkage"


def _created_at() -> sa.Column[datetime]:
    return sa.Column(
        "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
    )


def upgrade() -> None:
    op.create_table(
        "domain_key",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("domain", sa.String(100), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("sealed", sa.LargeBinary()),
        sa.Column("status", sa.String(20), nullable=False),
        _created_at(),
        sa.Column("retired_at", sa.DateTime(timezone=True)),
        sa.Column("destroyed_at", sa.DateTime(timezone=True)),
        sa.PrimaryKeyConstraint("id", name="pk_domain_key"),
        sa.UniqueConstraint("domain", "version", name="uq_domain_key_domain_version"),
        schema=SCHEMA,
    )
    op.create_index("ix_domain_key_domain", "domain_key", ["domain"], schema=SCHEMA)
    op.create_table(
        "job",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("params", JSONB(), nullable=False),
        sa.Column("rows_total", sa.BigInteger(), nullable=False),
        sa.Column("rows_done", sa.BigInteger(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("report", JSONB(), nullable=False),
        sa.Column("error", sa.Text()),
        sa.Column("created_by", sa.String(255), nullable=False),
        _created_at(),
        sa.Column("started_at", sa.DateTime(timezone=True)),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True)),
        sa.PrimaryKeyConstraint("id", name="pk_job"),
        schema=SCHEMA,
    )
    op.create_index("ix_job_state", "job", ["state"], schema=SCHEMA)
    op.create_table(
        "pseudonymised_version",
        sa.Column("version_id", sa.Uuid(), nullable=False),
        sa.Column("dataset_id", sa.Uuid(), nullable=False),
        sa.Column("job_id", sa.Uuid(), nullable=False),
        sa.Column("object_key", sa.String(1024), nullable=False),
        sa.Column("columns", JSONB(), nullable=False),
        sa.Column("key_version", sa.Integer(), nullable=False),
        sa.Column("rows", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        _created_at(),
        sa.PrimaryKeyConstraint("version_id", name="pk_pseudonymised_version"),
        schema=SCHEMA,
    )
    op.create_index(
        "ix_pseudonymised_version_dataset_id",
        "pseudonymised_version",
        ["dataset_id"],
        schema=SCHEMA,
    )
    op.create_table(
        "grant",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("project_id", sa.Uuid(), nullable=False),
        sa.Column("members", ARRAY(sa.Text()), nullable=False),
        sa.Column("datasets", JSONB(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name="pk_grant"),
        schema=SCHEMA,
    )
    op.create_index("ix_grant_project_id", "grant", ["project_id"], schema=SCHEMA)
    op.create_table(
        "extract_file",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("grant_id", sa.Uuid(), nullable=False),
        sa.Column("project_id", sa.Uuid(), nullable=False),
        sa.Column("dataset_id", sa.Uuid(), nullable=False),
        sa.Column("version_id", sa.Uuid(), nullable=False),
        sa.Column("object_key", sa.String(1024), nullable=False),
        sa.Column("columns", ARRAY(sa.Text()), nullable=False),
        sa.Column("rows", sa.BigInteger(), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("key_version", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        _created_at(),
        sa.PrimaryKeyConstraint("id", name="pk_extract_file"),
        sa.UniqueConstraint("object_key", name="uq_extract_file_object_key"),
        schema=SCHEMA,
    )
    op.create_index("ix_extract_file_grant_id", "extract_file", ["grant_id"], schema=SCHEMA)
    op.create_index("ix_extract_file_project_id", "extract_file", ["project_id"], schema=SCHEMA)


def downgrade() -> None:
    for table in ("extract_file", "grant", "pseudonymised_version", "job", "domain_key"):
        op.drop_table(table, schema=SCHEMA)
