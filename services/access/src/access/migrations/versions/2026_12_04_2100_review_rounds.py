"""Committee review rounds: an opinion is final for its round.

Opinions recorded before rounds existed all belong to round 1; where several were recorded,
the latest one (the one the guards read until now) keeps the round and the earlier ones are
left without a round.

Revision ID: r0003
Revises: r0002
Create Date: 2026-12-04 21:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "r0003"
down_revision: str | None = "r0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROUNDS = """
UPDATE access.access_request AS r SET review_round = (
  SELECT count(*) FROM access.request_transition AS t
   WHERE t.request_id = r.id AND t.to_state = 'committee_review')
"""
LATEST_OPINIONS = """
UPDATE access.decision AS d SET round = r.review_round
  FROM access.access_request AS r
 WHERE d.request_id = r.id AND d.kind = 'opinion' AND d.id = (
   SELECT o.id FROM access.decision AS o WHERE o.request_id = d.request_id AND o.kind = 'opinion'
    ORDER BY o.recorded_at DESC, o.id DESC LIMIT 1)
"""


def upgrade() -> None:
    op.add_column(
        "access_request",
        sa.Column("review_round", sa.Integer(), server_default="0", nullable=False),
        schema="access",
    )
    op.add_column("decision", sa.Column("round", sa.Integer(), nullable=True), schema="access")
    op.execute(ROUNDS)
    op.execute(LATEST_OPINIONS)
    op.create_index(
        "uq_decision_one_opinion_per_round",
        "decision",
        ["request_id", "round"],
        unique=True,
        schema="access",
        postgresql_where=sa.text("kind = 'opinion'"),
    )


def downgrade() -> None:
    op.drop_index("uq_decision_one_opinion_per_round", table_name="decision", schema="access")
    op.drop_column("decision", "round", schema="access")
    op.drop_column("access_request", "review_round", schema="access")
