"""Add audit.begin_append: an appender takes the append lock and reads the tree's right edge and
the event ids already logged in one round trip instead of three.

Revision ID: a0003
Revises: a0002
Create Date: 2026-11-29 16:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "a0003"
down_revision: str | None = "a0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None
SCHEMA = "audit"

# A volatile PL/pgSQL function takes a new snapshot for each statement (READ COMMITTED), so the
# reads after the lock see everything the previous holder of the lock committed; the reads of
# a single SQL statement would share a snapshot taken before the lock was granted.
BEGIN_APPEND = """
CREATE FUNCTION audit.begin_append(
  lock_key bigint,
  event_ids text[],
  OUT size bigint,
  OUT peaks bytea[],
  OUT logged_ids text[],
  OUT logged_seqs bigint[],
  OUT logged_leaves bytea[]
) LANGUAGE plpgsql VOLATILE AS $$
BEGIN
  PERFORM pg_advisory_xact_lock(lock_key);
  SELECT coalesce(max(n.idx) + 1, 0) INTO size FROM audit.tree_node AS n WHERE n.level = 0;
  SELECT array_agg(n.hash ORDER BY b.level DESC) INTO peaks
    FROM generate_series(62, 0, -1) AS b(level)
    JOIN audit.tree_node AS n ON n.level = b.level AND n.idx = (size >> b.level) - 1
   WHERE (size >> b.level) & 1 = 1;
  SELECT array_agg(e.event_id), array_agg(e.seq), array_agg(e.leaf_hash)
    INTO logged_ids, logged_seqs, logged_leaves
    FROM audit.entry AS e
   WHERE e.event_id = ANY(event_ids);
END
$$
"""


def upgrade() -> None:
    op.execute(BEGIN_APPEND)


def downgrade() -> None:
    op.execute(f"DROP FUNCTION {SCHEMA}.begin_append(bigint, text[])")
