"""Dataset metadata (DCAT-AP / HealthDCAT-AP), the dictionary, nomenclatures and search.

Revision ID: c0002
Revises: c0001
Create Date: 2026-11-29 13:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, TSVECTOR

revision: str = "c0002"
down_revision: str | None = "c0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None
SCHEMA = "catalog"
WORD_TOKENS = (
    "asciiword, word, numword, asciihword, hword, numhword, hword_asciipart, hword_part,"
    " hword_numpart"
)


def _now() -> sa.Column[object]:
    return sa.Column(
        "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
    )


def _texts(name: str) -> sa.Column[object]:
    return sa.Column(name, ARRAY(sa.Text), server_default="{}", nullable=False)


def upgrade() -> None:
    _search_support()
    _dataset_metadata()
    _dictionary()
    _nomenclatures()
    _search_documents()


def _search_support() -> None:
    op.execute(f"CREATE EXTENSION IF NOT EXISTS unaccent SCHEMA {SCHEMA}")
    op.execute(f"CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA {SCHEMA}")
    op.execute(_EXTENSIONS_HERE.format(schema=SCHEMA))
    op.execute(f"CREATE TEXT SEARCH CONFIGURATION {SCHEMA}.fr (COPY = pg_catalog.french)")
    op.execute(
        f"ALTER TEXT SEARCH CONFIGURATION {SCHEMA}.fr ALTER MAPPING FOR {WORD_TOKENS}"
        " WITH unaccent, pg_catalog.french_stem"
    )


def _dataset_metadata() -> None:
    op.add_column(
        "dataset",
        sa.Column("title_en", sa.String(500), server_default="", nullable=False),
        schema=SCHEMA,
    )
    op.add_column(
        "dataset",
        sa.Column("description_en", sa.Text, server_default="", nullable=False),
        schema=SCHEMA,
    )
    op.add_column(
        "dataset",
        sa.Column("access_rights", sa.String(20), server_default="non_public", nullable=False),
        schema=SCHEMA,
    )
    op.add_column(
        "dataset",
        sa.Column("status", sa.String(20), server_default="draft", nullable=False),
        schema=SCHEMA,
    )
    op.add_column("dataset", _texts("themes"), schema=SCHEMA)
    op.add_column("dataset", _texts("keywords"), schema=SCHEMA)
    op.add_column(
        "dataset", sa.Column("details", JSONB, server_default="{}", nullable=False), schema=SCHEMA
    )
    op.add_column(
        "dataset",
        sa.Column("revision", sa.Integer, server_default="1", nullable=False),
        schema=SCHEMA,
    )
    op.add_column(
        "dataset",
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        schema=SCHEMA,
    )
    op.create_table(
        "dataset_revision",
        sa.Column("dataset_id", sa.Uuid, nullable=False),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.Column("snapshot", JSONB, nullable=False),
        sa.Column("changed_by", sa.String(255), nullable=False),
        sa.Column("note", sa.Text, server_default="", nullable=False),
        _now(),
        sa.PrimaryKeyConstraint("dataset_id", "revision", name="pk_dataset_revision"),
        sa.ForeignKeyConstraint(
            ["dataset_id"],
            ["catalog.dataset.id"],
            ondelete="CASCADE",
            name="fk_dataset_revision_dataset_id_dataset",
        ),
        schema=SCHEMA,
    )


def _dictionary() -> None:
    op.create_table(
        "dataset_table",
        sa.Column("id", sa.Uuid, nullable=False),
        sa.Column("dataset_id", sa.Uuid, nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("title", sa.String(1000), server_default="", nullable=False),
        sa.Column("description", sa.Text, server_default="", nullable=False),
        sa.Column("product", sa.String(200), server_default="", nullable=False),
        _texts("primary_key"),
        sa.Column("position", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_dataset_table"),
        sa.ForeignKeyConstraint(
            ["dataset_id"],
            ["catalog.dataset.id"],
            ondelete="CASCADE",
            name="fk_dataset_table_dataset_id_dataset",
        ),
        sa.UniqueConstraint("dataset_id", "name", name="uq_dataset_table_dataset_id_name"),
        schema=SCHEMA,
    )
    op.create_table(
        "variable",
        sa.Column("id", sa.Uuid, nullable=False),
        sa.Column("table_id", sa.Uuid, nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("label", sa.Text, server_default="", nullable=False),
        sa.Column("description", sa.Text, server_default="", nullable=False),
        sa.Column("type", sa.String(30), nullable=False),
        sa.Column("format", sa.String(100), server_default="default", nullable=False),
        sa.Column("length", sa.Integer),
        sa.Column("unit", sa.String(100), server_default="", nullable=False),
        sa.Column("required", sa.Boolean, server_default=sa.false(), nullable=False),
        sa.Column("nomenclature", sa.String(200)),
        sa.Column("identifier", sa.String(20), server_default="none", nullable=False),
        sa.Column("sensitivity", sa.String(20), server_default="normal", nullable=False),
        sa.Column("created_year", sa.Integer),
        sa.Column("deleted_year", sa.Integer),
        sa.Column("extra", JSONB, server_default="{}", nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_variable"),
        sa.ForeignKeyConstraint(
            ["table_id"],
            ["catalog.dataset_table.id"],
            ondelete="CASCADE",
            name="fk_variable_table_id_dataset_table",
        ),
        sa.UniqueConstraint("table_id", "name", name="uq_variable_table_id_name"),
        schema=SCHEMA,
    )
    op.create_index("ix_variable_nomenclature", "variable", ["nomenclature"], schema=SCHEMA)
    op.create_table(
        "foreign_key",
        sa.Column("id", sa.Uuid, nullable=False),
        sa.Column("table_id", sa.Uuid, nullable=False),
        _texts("fields"),
        sa.Column("reference_table", sa.String(200), nullable=False),
        _texts("reference_fields"),
        sa.Column("position", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_foreign_key"),
        sa.ForeignKeyConstraint(
            ["table_id"],
            ["catalog.dataset_table.id"],
            ondelete="CASCADE",
            name="fk_foreign_key_table_id_dataset_table",
        ),
        schema=SCHEMA,
    )


def _nomenclatures() -> None:
    op.create_table(
        "nomenclature",
        sa.Column("id", sa.Uuid, nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("title", sa.Text, server_default="", nullable=False),
        sa.Column("code_field", sa.String(200), nullable=False),
        sa.Column("label_field", sa.String(200)),
        sa.Column("fields", JSONB, server_default="[]", nullable=False),
        _now(),
        sa.PrimaryKeyConstraint("id", name="pk_nomenclature"),
        sa.UniqueConstraint("name", name="uq_nomenclature_name"),
        schema=SCHEMA,
    )
    op.create_table(
        "nomenclature_version",
        sa.Column("id", sa.Uuid, nullable=False),
        sa.Column("nomenclature_id", sa.Uuid, nullable=False),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("label", sa.String(100), nullable=False),
        sa.Column("checksum", sa.String(64), nullable=False),
        sa.Column("code_count", sa.Integer, nullable=False),
        sa.Column("created_by", sa.String(255), nullable=False),
        _now(),
        sa.PrimaryKeyConstraint("id", name="pk_nomenclature_version"),
        sa.ForeignKeyConstraint(
            ["nomenclature_id"],
            ["catalog.nomenclature.id"],
            ondelete="CASCADE",
            name="fk_nomenclature_version_nomenclature_id_nomenclature",
        ),
        sa.UniqueConstraint(
            "nomenclature_id", "number", name="uq_nomenclature_version_nomenclature_id_number"
        ),
        schema=SCHEMA,
    )
    op.create_table(
        "nomenclature_code",
        sa.Column("id", sa.BigInteger, sa.Identity(), nullable=False),
        sa.Column("version_id", sa.Uuid, nullable=False),
        sa.Column("code", sa.Text, nullable=False),
        sa.Column("label", sa.Text),
        sa.PrimaryKeyConstraint("id", name="pk_nomenclature_code"),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["catalog.nomenclature_version.id"],
            ondelete="CASCADE",
            name="fk_nomenclature_code_version_id_nomenclature_version",
        ),
        schema=SCHEMA,
    )
    op.create_index(
        "ix_nomenclature_code_version_id_code",
        "nomenclature_code",
        ["version_id", "code"],
        schema=SCHEMA,
    )


def _search_documents() -> None:
    op.create_table(
        "search_document",
        sa.Column("id", sa.BigInteger, sa.Identity(), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("dataset_id", sa.Uuid),
        sa.Column("nomenclature_id", sa.Uuid),
        sa.Column("table_name", sa.String(200)),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("label", sa.Text, server_default="", nullable=False),
        sa.Column("body", sa.Text, server_default="", nullable=False),
        sa.Column("publisher", sa.String(100)),
        _texts("themes"),
        sa.Column("access_rights", sa.String(20)),
        sa.Column("created_year", sa.Integer),
        sa.Column("deleted_year", sa.Integer),
        sa.Column("plain", sa.Text, nullable=False),
        sa.Column("document", TSVECTOR, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_search_document"),
        sa.ForeignKeyConstraint(
            ["dataset_id"],
            ["catalog.dataset.id"],
            ondelete="CASCADE",
            name="fk_search_document_dataset_id_dataset",
        ),
        sa.ForeignKeyConstraint(
            ["nomenclature_id"],
            ["catalog.nomenclature.id"],
            ondelete="CASCADE",
            name="fk_search_document_nomenclature_id_nomenclature",
        ),
        schema=SCHEMA,
    )
    op.create_index(
        "ix_search_document_dataset_id", "search_document", ["dataset_id"], schema=SCHEMA
    )
    op.create_index(
        "ix_search_document_nomenclature_id", "search_document", ["nomenclature_id"], schema=SCHEMA
    )
    for suffix, where in (("words", "kind <> 'code'"), ("codes", "kind = 'code'")):
        op.execute(
            f"CREATE INDEX ix_search_document_document_{suffix} ON {SCHEMA}.search_document"
            f" USING gin (document) WHERE {where}"
        )
        op.execute(
            f"CREATE INDEX ix_search_document_plain_{suffix} ON {SCHEMA}.search_document"
            f" USING gin (plain gin_trgm_ops) WHERE {where}"
        )
    op.execute(
        f"CREATE INDEX ix_search_document_upper_name ON {SCHEMA}.search_document (upper(name))"
    )


def downgrade() -> None:
    op.drop_table("search_document", schema=SCHEMA)
    op.drop_table("nomenclature_code", schema=SCHEMA)
    op.drop_table("nomenclature_version", schema=SCHEMA)
    op.drop_table("nomenclature", schema=SCHEMA)
    op.drop_table("foreign_key", schema=SCHEMA)
    op.drop_index("ix_variable_nomenclature", table_name="variable", schema=SCHEMA)
    op.drop_table("variable", schema=SCHEMA)
    op.drop_table("dataset_table", schema=SCHEMA)
    op.drop_table("dataset_revision", schema=SCHEMA)
    for column in (
        "updated_at",
        "revision",
        "details",
        "keywords",
        "themes",
        "status",
        "access_rights",
        "description_en",
        "title_en",
    ):
        op.drop_column("dataset", column, schema=SCHEMA)
    op.execute(f"DROP TEXT SEARCH CONFIGURATION {SCHEMA}.fr")
    for extension in ("pg_trgm", "unaccent"):
        op.execute(_DROP_OWN_EXTENSION.format(extension=extension, schema=SCHEMA))


# The catalogue's SQL names catalog.unaccent, catalog.<% ...: refuse extensions living elsewhere.
_EXTENSIONS_HERE = """
DO $$ BEGIN
  IF EXISTS (SELECT 1 FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
             WHERE e.extname IN ('unaccent', 'pg_trgm') AND n.nspname <> '{schema}') THEN
    RAISE EXCEPTION 'unaccent and pg_trgm must be installed in schema {schema}';
  END IF;
END $$"""

_DROP_OWN_EXTENSION = """
DO $$ BEGIN
  IF EXISTS (SELECT 1 FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
             WHERE e.extname = '{extension}' AND n.nspname = '{schema}') THEN
    DROP EXTENSION {extension};
  END IF;
END $$"""
