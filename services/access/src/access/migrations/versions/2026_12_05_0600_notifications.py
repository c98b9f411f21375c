"""Notifications: partner webhooks and their deliveries, e-mails to send, people's addresses,
missed deadlines already told.

Revision ID: r0007
Revises: r0006
Create Date: 2026-12-05 06:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "r0007"
down_revision: str | None = "r0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "contact",
        sa.Column("subject", sa.String(length=255), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("subject", name=op.f("pk_contact")),
        schema="access",
    )
    op.create_table(
        "email",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("recipient", sa.String(length=320), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_email")),
        schema="access",
    )
    op.create_index(
        "ix_email_due",
        "email",
        ["next_attempt_at"],
        unique=False,
        schema="access",
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_table(
        "webhook",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organisation", sa.String(length=100), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("event_types", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("secret", sa.String(length=100), nullable=False),
        sa.Column("created_by", sa.String(length=255), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook")),
        schema="access",
    )
    op.create_index(
        "ix_webhook_organisation_created_at_id",
        "webhook",
        ["organisation", "created_at", "id"],
        unique=False,
        schema="access",
    )
    op.create_table(
        "webhook_delivery",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("webhook_id", sa.Uuid(), nullable=False),
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("event_type", sa.String(length=255), nullable=False),
        sa.Column("payload", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_status_code", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["webhook_id"],
            ["access.webhook.id"],
            name=op.f("fk_webhook_delivery_webhook_id_webhook"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_delivery")),
        sa.UniqueConstraint(
            "webhook_id", "event_id", name=op.f("uq_webhook_delivery_webhook_id_event_id")
        ),
        schema="access",
    )
    op.create_index(
        "ix_webhook_delivery_due",
        "webhook_delivery",
        ["next_attempt_at"],
        unique=False,
        schema="access",
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_index(
        "ix_webhook_delivery_webhook_id_created_at_id",
        "webhook_delivery",
        ["webhook_id", "created_at", "id"],
        unique=False,
        schema="access",
    )
    op.create_table(
        "overdue_notice",
        sa.Column("request_id", sa.Uuid(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column(
            "noticed_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["access.access_request.id"],
            name=op.f("fk_overdue_notice_request_id_access_request"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("request_id", "due_on", name=op.f("pk_overdue_notice")),
        schema="access",
    )


def downgrade() -> None:
    op.drop_table("overdue_notice", schema="access")
    op.drop_index(
        "ix_webhook_delivery_webhook_id_created_at_id",
        table_name="webhook_delivery",
        schema="access",
    )
    op.drop_index(
        "ix_webhook_delivery_due",
        table_name="webhook_delivery",
        schema="access",
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.drop_table("webhook_delivery", schema="access")
    op.drop_index("ix_webhook_organisation_created_at_id", table_name="webhook", schema="access")
    op.drop_table("webhook", schema="access")
    op.drop_index(
        "ix_email_due",
        table_name="email",
        schema="access",
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.drop_table("email", schema="access")
    op.drop_table("contact", schema="access")
