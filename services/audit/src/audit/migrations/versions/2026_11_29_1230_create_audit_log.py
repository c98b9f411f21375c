"""Create the audit log: entries, the Merkle tree's nodes, signing keys, signed tree heads,
and the triggers that make them append-only.

Revision ID: a0002
Revises: a0001
Create Date: 2026-11-29 12:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "a0002"
down_revision: str | None = "a0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None
SCHEMA = "audit"
TABLES = ("entry", "tree_node", "signing_key", "tree_head")

# TRUNCATE of an empty table destroys nothing, so it is let through: test fixtures empty every
# table of every schema between tests.
REFUSE_CHANGE = """
CREATE FUNCTION audit.refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  has_rows boolean;
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I.%I)', TG_TABLE_SCHEMA, TG_TABLE_NAME)
      INTO has_rows;
    IF NOT has_rows THEN
      RETURN NULL;
    END IF;
  END IF;
  RAISE EXCEPTION 'the audit log is append-only: % on %.% refused',
    TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME
    USING ERRCODE = 'insufficient_privilege';
END
$$
"""


def upgrade() -> None:
    _create_entry()
    _create_tree_node()
    _create_keys_and_heads()
    op.execute(REFUSE_CHANGE)
    for table in TABLES:
        _protect(table)


def _create_entry() -> None:
    text = sa.Text()
    op.create_table(
        "entry",
        sa.Column("seq", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("event_id", sa.String(64), nullable=False),
        sa.Column("time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source", text),
        sa.Column("actor", text),
        sa.Column("action", text, nullable=False),
        sa.Column("resource_type", text),
        sa.Column("resource_id", text),
        sa.Column("project", text),
        sa.Column("outcome", text, nullable=False),
        sa.Column("client_ip", text),
        sa.Column("request_id", text),
        sa.Column("correlation_id", text),
        sa.Column("purpose", text),
        sa.Column("payload", postgresql.JSONB, nullable=False),
        sa.Column("leaf_hash", sa.LargeBinary, nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_entry"),
        sa.UniqueConstraint("event_id", name="uq_entry_event_id"),
        schema=SCHEMA,
    )
    for name, columns in (
        ("ix_entry_actor_seq", ["actor", "seq"]),
        ("ix_entry_action_seq", ["action", "seq"]),
        ("ix_entry_resource_seq", ["resource_type", "resource_id", "seq"]),
        ("ix_entry_project_seq", ["project", "seq"]),
        ("ix_entry_time", ["time"]),
    ):
        op.create_index(name, "entry", columns, schema=SCHEMA)


def _create_tree_node() -> None:
    op.create_table(
        "tree_node",
        sa.Column("level", sa.SmallInteger, nullable=False),
        sa.Column("idx", sa.BigInteger, nullable=False),
        sa.Column("hash", sa.LargeBinary, nullable=False),
        sa.PrimaryKeyConstraint("level", "idx", name="pk_tree_node"),
        schema=SCHEMA,
    )


def _create_keys_and_heads() -> None:
    op.create_table(
        "signing_key",
        sa.Column("key_id", sa.String(64), nullable=False),
        sa.Column("algorithm", sa.String(32), nullable=False),
        sa.Column("public_key", sa.LargeBinary, nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.PrimaryKeyConstraint("key_id", name="pk_signing_key"),
        schema=SCHEMA,
    )
    op.create_table(
        "tree_head",
        sa.Column("id", sa.BigInteger, sa.Identity(), nullable=False),
        sa.Column("tree_size", sa.BigInteger, nullable=False),
        sa.Column("root_hash", sa.LargeBinary, nullable=False),
        sa.Column("timestamp", sa.BigInteger, nullable=False),
        sa.Column("signature", sa.LargeBinary, nullable=False),
        sa.Column("key_id", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_tree_head"),
        sa.ForeignKeyConstraint(
            ["key_id"],
            [f"{SCHEMA}.signing_key.key_id"],
            name="fk_tree_head_key_id_signing_key",
        ),
        schema=SCHEMA,
    )
    op.create_index("ix_tree_head_tree_size", "tree_head", ["tree_size"], schema=SCHEMA)


def _protect(table: str) -> None:
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
    op.execute(f"DROP FUNCTION {SCHEMA}.refuse_change()")
