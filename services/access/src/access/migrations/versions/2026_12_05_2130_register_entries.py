"""The register's lines in full: the lay summary, the references of the committee's opinion
and of the regulator's decision, the tables and categories of variables asked for, the
project's dates; searchable by full text and filters, newest first.

Lines already published get what the database knows: the references recorded, the start
(the journal's move to ``active``) and planned end (the grant's expiry), the close (the
last status change of an ended line), published when last updated. Their tables and
categories stay unknown (empty lists), and so does the lay summary of projects created
before it existed.

Revision ID: r0008
Revises: r0007
Create Date: 2026-12-05 21:30:00
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from access.register.search import searchable

revision: str = "r0008"
down_revision: str | None = "r0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None
SCHEMA = "access"
TABLE = "register_entry"
DATES = ("started_on", "ends_on", "closed_on")
REFERENCES = ("committee_opinion_reference", "regulator_decision_reference")
INDEXED = ("organisation", "status", "decided_on")

KNOWN = """
UPDATE access.register_entry AS e SET
  published_at = e.updated_at,
  committee_opinion_reference = (
    SELECT d.reference FROM access.decision AS d
     WHERE d.request_id = e.request_id AND d.kind = 'opinion' AND d.round = r.review_round
     ORDER BY d.recorded_at DESC, d.id DESC LIMIT 1),
  regulator_decision_reference = (
    SELECT d.reference FROM access.decision AS d
     WHERE d.request_id = e.request_id AND d.kind = 'regulator'
     ORDER BY d.recorded_at DESC, d.id DESC LIMIT 1),
  started_on = (
    SELECT min(t.at AT TIME ZONE 'Europe/Paris')::date FROM access.request_transition AS t
     WHERE t.request_id = e.request_id AND t.to_state = 'active'),
  closed_on = CASE WHEN e.status IN ('closed', 'withdrawn', 'revoked', 'expired')
                   THEN (e.updated_at AT TIME ZONE 'Europe/Paris')::date END
  FROM access.access_request AS r
 WHERE r.id = e.request_id
"""
PLANNED_END = """
UPDATE access.register_entry AS e SET ends_on = g.expires_on
  FROM access.grant AS g
 WHERE g.request_id = e.request_id AND e.started_on IS NOT NULL
"""
LINES = """
SELECT request_id, project_title, purpose, organisation, datasets FROM access.register_entry
"""
SEARCH_TEXT = "UPDATE access.register_entry SET search_text = :text WHERE request_id = :id"


def upgrade() -> None:
    op.add_column("project", sa.Column("lay_summary", sa.Text(), nullable=True), schema=SCHEMA)
    op.add_column(
        "variable_ref",
        sa.Column("identifier", sa.String(30), nullable=True),  # NULL: not known yet
        schema=SCHEMA,
    )
    _add_columns()
    op.execute(KNOWN)
    op.execute(PLANNED_END)
    _fill_search_text()
    op.alter_column(TABLE, "published_at", nullable=False, schema=SCHEMA)
    op.alter_column(TABLE, "search_text", server_default=None, schema=SCHEMA)
    op.add_column(
        TABLE,
        sa.Column(
            "search_document",
            postgresql.TSVECTOR(),
            sa.Computed("to_tsvector('french'::regconfig, search_text)", persisted=True),
            nullable=False,
        ),
        schema=SCHEMA,
    )
    _create_indexes()


def _add_columns() -> None:
    columns: list[sa.Column[Any]] = [
        sa.Column("lay_summary", sa.Text(), nullable=True),
        *(sa.Column(name, sa.String(100), nullable=True) for name in REFERENCES),
        *(sa.Column(name, sa.Date(), nullable=True) for name in DATES),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("search_text", sa.Text(), nullable=False, server_default=""),
    ]
    for column in columns:
        op.add_column(TABLE, column, schema=SCHEMA)


def _fill_search_text() -> None:
    bind = op.get_bind()
    for line in bind.execute(sa.text(LINES)).mappings().all():
        titles = [dataset.get("title", "") for dataset in line["datasets"]]
        parts = [line["project_title"], line["purpose"], line["organisation"], *titles]
        bind.execute(sa.text(SEARCH_TEXT), {"text": searchable(parts), "id": line["request_id"]})


def _create_indexes() -> None:
    for column in INDEXED:
        op.create_index(op.f(f"ix_{TABLE}_{column}"), TABLE, [column], schema=SCHEMA)
    op.create_index(
        "ix_register_entry_published_at_request_id",
        TABLE,
        ["published_at", "request_id"],
        schema=SCHEMA,
    )
    op.create_index(
        "ix_register_entry_search_document",
        TABLE,
        ["search_document"],
        schema=SCHEMA,
        postgresql_using="gin",
    )
    op.create_index(
        "ix_register_entry_datasets",
        TABLE,
        ["datasets"],
        schema=SCHEMA,
        postgresql_using="gin",
        postgresql_ops={"datasets": "jsonb_path_ops"},
    )


def downgrade() -> None:
    indexes = ("datasets", "search_document", "published_at_request_id", *INDEXED)
    for index in indexes:
        op.drop_index(f"ix_{TABLE}_{index}", table_name=TABLE, schema=SCHEMA)
    for column in ("search_document", "search_text", "published_at", *DATES, *REFERENCES):
        op.drop_column(TABLE, column, schema=SCHEMA)
    op.drop_column(TABLE, "lay_summary", schema=SCHEMA)
    op.drop_column("variable_ref", "identifier", schema=SCHEMA)
    op.drop_column("project", "lay_summary", schema=SCHEMA)
