"""C2SP checkpoints: the log's note signature of each published tree head, and the witnesses'
cosignatures; append-only like the rest of the log.

Revision ID: a0004
Revises: a0003
Create Date: 2026-12-05 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "a0004"
down_revision: str | None = "a0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None
SCHEMA = "audit"
TABLES = ("checkpoint", "cosignature")


def upgrade() -> None:
    op.create_table(
        "checkpoint",
        sa.Column("id", sa.BigInteger, sa.Identity(), nullable=False),
        sa.Column("tree_head_id", sa.BigInteger, nullable=False),
        sa.Column("origin", sa.Text, nullable=False),
        sa.Column("key_id", sa.BigInteger, nullable=False),
        sa.Column("signature", sa.LargeBinary, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_checkpoint"),
        sa.ForeignKeyConstraint(
            ["tree_head_id"],
            [f"{SCHEMA}.tree_head.id"],
            name="fk_checkpoint_tree_head_id_tree_head",
        ),
        sa.UniqueConstraint("tree_head_id", "origin", name="uq_checkpoint_tree_head_id_origin"),
        schema=SCHEMA,
    )
    op.create_table(
        "cosignature",
        sa.Column("id", sa.BigInteger, sa.Identity(), nullable=False),
        sa.Column("origin", sa.Text, nullable=False),
        sa.Column("tree_size", sa.BigInteger, nullable=False),
        sa.Column("root_hash", sa.LargeBinary, nullable=False),
        sa.Column("witness", sa.Text, nullable=False),
        sa.Column("key_id", sa.BigInteger, nullable=False),
        sa.Column("signature", sa.LargeBinary, nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name="pk_cosignature"),
        sa.UniqueConstraint(
            "origin", "tree_size", "root_hash", "witness", "key_id", name="uq_cosignature_signed"
        ),
        schema=SCHEMA,
    )
    op.create_index(
        "ix_cosignature_witness_size",
        "cosignature",
        ["origin", "witness", "key_id", "tree_size"],
        schema=SCHEMA,
    )
    for table in TABLES:
        op.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {SCHEMA}.{table}"
            f" FOR EACH ROW EXECUTE FUNCTION {SCHEMA}.refuse_change()"
        )
        op.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {SCHEMA}.{table}"
            f" FOR EACH STATEMENT EXECUTE FUNCTION {SCHEMA}.refuse_change()"
        )


def downgrade() -> None:
    for table in reversed(TABLES):
        op.drop_table(table, schema=SCHEMA)
