import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Date,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    String,
    Text,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from access.db import Base


class AccessRequest(Base):
    __tablename__ = "access_request"
    __table_args__ = (Index("ix_access_request_created_at_id", "created_at", "id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("project.id"), index=True)
    state: Mapped[str] = mapped_column(String(30), default="draft", index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    legal_basis: Mapped[str] = mapped_column(String(30))
    methodology: Mapped[str | None] = mapped_column(String(10))
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    expected_duration_months: Mapped[int] = mapped_column(Integer)
    linkage: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    amends_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("access_request.id"))
    filed_by: Mapped[str] = mapped_column(String(255))
    due_on: Mapped[date | None] = mapped_column(Date)
    paused_days_left: Mapped[int | None] = mapped_column(Integer)
    review_round: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    """How many times the request entered committee review: the round an opinion is for."""
    state_entered_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    datasets: Mapped[list["RequestDataset"]] = relationship(
        lazy="raise", order_by="RequestDataset.position", cascade="all, delete-orphan"
    )

    # Optimistic concurrency: every UPDATE says ``WHERE version = <read>``; the services bump it.
    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}


class RequestDataset(Base):
    """A dataset asked for, with each variable asked for and its justification."""

    __tablename__ = "request_dataset"

    request_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("access_request.id", ondelete="CASCADE"), primary_key=True
    )
    dataset_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    variables: Mapped[list[dict[str, str]]] = mapped_column(JSONB)


class RequestTransition(Base):
    """One state change of a request: the journal behind stats and accountability."""

    __tablename__ = "request_transition"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    request_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("access_request.id", ondelete="CASCADE"), index=True
    )
    transition: Mapped[str] = mapped_column(String(40))
    from_state: Mapped[str] = mapped_column(String(30))
    to_state: Mapped[str] = mapped_column(String(30))
    actor: Mapped[str] = mapped_column(String(255))
    reason: Mapped[str | None] = mapped_column(Text)
    due_on: Mapped[date | None] = mapped_column(Date)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
