import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, TSVECTOR

from catalog.db import Base

search_document = sa.Table(
    "search_document",
    Base.metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("dataset_id", sa.Uuid, sa.ForeignKey("dataset.id", ondelete="CASCADE"), index=True),
    sa.Column(
        "nomenclature_id",
        sa.Uuid,
        sa.ForeignKey("nomenclature.id", ondelete="CASCADE"),
        index=True,
    ),
    sa.Column("table_name", sa.String(200)),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("label", sa.Text, nullable=False, server_default=""),
    sa.Column("body", sa.Text, nullable=False, server_default=""),
    sa.Column("publisher", sa.String(100)),
    sa.Column("themes", ARRAY(sa.Text), nullable=False, server_default="{}"),
    sa.Column("access_rights", sa.String(20)),
    sa.Column("created_year", sa.Integer),
    sa.Column("deleted_year", sa.Integer),
    sa.Column("plain", sa.Text, nullable=False),
    sa.Column("document", TSVECTOR, nullable=False),
)

# Every word (three characters or more) of the names and labels of the documents other than
# code-list entries, unaccented and lower case, trigram-indexed: typos are corrected to it.
# Words are never removed: a stale word only yields a correction that finds nothing.
search_word = sa.Table(
    "search_word",
    Base.metadata,
    sa.Column("word", sa.Text, primary_key=True),
)
