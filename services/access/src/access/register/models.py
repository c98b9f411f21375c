import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import Computed, Date, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.dialects.postgresql import JSONB, TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column

from access.db import Base

SEARCH_CONFIGURATION = "french"


class RegisterEntry(Base):
    """A public line of the register, written by the workflow only."""

    __tablename__ = "register_entry"
    __table_args__ = (
        Index("ix_register_entry_published_at_request_id", "published_at", "request_id"),
        Index("ix_register_entry_search_document", "search_document", postgresql_using="gin"),
        Index(
            "ix_register_entry_datasets",
            "datasets",
            postgresql_using="gin",
            postgresql_ops={"datasets": "jsonb_path_ops"},
        ),
    )

    request_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("access_request.id"), primary_key=True)
    project_title: Mapped[str] = mapped_column(String(300))
    lay_summary: Mapped[str | None] = mapped_column(Text)
    organisation: Mapped[str] = mapped_column(String(100), index=True)
    purpose: Mapped[str] = mapped_column(Text)
    datasets: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    legal_basis: Mapped[str] = mapped_column(String(100))
    committee_opinion_reference: Mapped[str | None] = mapped_column(String(100))
    regulator_decision_reference: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20), index=True)
    decided_on: Mapped[date] = mapped_column(Date, index=True)
    started_on: Mapped[date | None] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    closed_on: Mapped[date | None] = mapped_column(Date)
    justification: Mapped[str | None] = mapped_column(Text)
    published_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # outputs released from the project's space through the airlock, and the latest release
    outputs_released: Mapped[int] = mapped_column(Integer, default=0)
    last_output_released_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # what full-text search reads: title, summaries, organisation and dataset titles, lower
    # case and without accents (see ``register.search``)
    search_text: Mapped[str] = mapped_column(Text, default="")
    search_document: Mapped[str] = mapped_column(
        TSVECTOR,
        Computed(f"to_tsvector('{SEARCH_CONFIGURATION}'::regconfig, search_text)", persisted=True),
    )
