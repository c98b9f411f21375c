"""Outputs saved in a space, the requests to release them, and the checkers' decisions."""

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from workspace.db import Base

# an output's life: saved, in a request, then approved and released, or rejected
SAVED, SUBMITTED, RELEASED, REJECTED = "saved", "submitted", "released", "rejected"
# a request's: waiting for its checkers, then decided
IN_REVIEW, DECIDED = "in_review", "decided"
APPROVE, REJECT = "approve", "reject"


class Output(Base):
    """One version of an output: immutable once saved."""

    __tablename__ = "output"
    __table_args__ = (
        UniqueConstraint("project_id", "name", "version", name="uq_output_version"),
        Index("ix_output_project", "project_id", "created_at", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    project_id: Mapped[uuid.UUID]
    name: Mapped[str] = mapped_column(String(63))
    version: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20))  # table, figure or report
    format: Mapped[str] = mapped_column(String(20))  # csv, parquet, png or pdf
    table_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("output.id"))
    analysis_id: Mapped[uuid.UUID | None]
    persons_column: Mapped[str | None] = mapped_column(String(255))
    object_key: Mapped[str] = mapped_column(String(1024), unique=True)
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(20), default=SAVED)
    created_by: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    released_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ReleaseRequest(Base):
    __tablename__ = "release_request"
    __table_args__ = (
        Index("ix_release_request_project", "project_id", "submitted_at", "id"),
        Index("ix_release_request_state", "state", "due_on"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    project_id: Mapped[uuid.UUID]
    requester: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text)
    justification: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(20), default=IN_REVIEW)
    submitted_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    due_on: Mapped[date] = mapped_column(Date)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class RequestedOutput(Base):
    """An output in a request, with its automatic check and the outcome of its review."""

    __tablename__ = "requested_output"

    request_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("release_request.id"), primary_key=True
    )
    output_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("output.id"), primary_key=True)
    check: Mapped[dict[str, Any]] = mapped_column(JSONB)
    outcome: Mapped[str | None] = mapped_column(String(20))  # released or rejected


class Review(Base):
    """One checker's decision on one output of a request: at most one each."""

    __tablename__ = "review"
    __table_args__ = (
        UniqueConstraint("request_id", "output_id", "checker", name="uq_review_checker"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    request_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("release_request.id"), index=True)
    output_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("output.id"))
    checker: Mapped[str] = mapped_column(Text)
    decision: Mapped[str] = mapped_column(String(20))
    comment: Mapped[str] = mapped_column(Text)
    decided_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
