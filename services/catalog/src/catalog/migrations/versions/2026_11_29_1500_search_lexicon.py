"""The search lexicon: every word of the names and labels of datasets, tables, variables and
nomenclatures (not of the code lists' entries), trigram-indexed, so that a typo is corrected
against a few thousand words instead of matched against every document.

Revision ID: c0005
Revises: c0004
Create Date: 2026-11-29 15:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c0005"
down_revision: str | None = "c0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None
SCHEMA = "catalog"


def upgrade() -> None:
    op.create_table(
        "search_word",
        sa.Column("word", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("word", name="pk_search_word"),
        schema=SCHEMA,
    )
    op.execute(
        f"CREATE INDEX ix_search_word_word_trgm ON {SCHEMA}.search_word"
        f" USING gin (word {SCHEMA}.gin_trgm_ops)"
    )
    op.execute(_FILL)
    op.execute(f"ANALYZE {SCHEMA}.search_word")


def downgrade() -> None:
    op.drop_table("search_word", schema=SCHEMA)


_FILL = """
INSERT INTO catalog.search_word (word)
SELECT DISTINCT w FROM catalog.search_document s,
       regexp_split_to_table(s.plain, '[^a-z0-9]+') AS w
 WHERE s.kind <> 'code' AND length(w) >= 3
 ORDER BY w
"""
