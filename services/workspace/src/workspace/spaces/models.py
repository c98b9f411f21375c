import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, Float, Index, Integer, String, Text, Uuid, func
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from workspace.db import Base

OPEN, CLOSED = "open", "closed"
LIVE = "live"  # otherwise the way the grant ended: revoked, expired, superseded or ended


class Space(Base):
    """A project's space: who works in it now, and who no longer does."""

    __tablename__ = "space"
    __table_args__ = (Index("ix_space_opened_at", "opened_at", "project_id"),)

    project_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    status: Mapped[str] = mapped_column(String(20), default=OPEN)
    members: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    former_members: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # when the retention period ended and the space's own files were removed
    purged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class SpaceGrant(Base):
    """Read model of the access service's grants on the project."""

    __tablename__ = "grant"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    project_id: Mapped[uuid.UUID] = mapped_column(index=True)
    status: Mapped[str] = mapped_column(String(20), default=LIVE)
    period_start: Mapped[date | None]
    period_end: Mapped[date | None]
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class ProjectTable(Base):
    """A table of the project's extract, registered in its space: metadata only. Shown
    while its grant is live (the extract may arrive before the grant: two topics)."""

    __tablename__ = "project_table"
    __table_args__ = (Index("ix_project_table_name", "project_id", "name", "id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    project_id: Mapped[uuid.UUID] = mapped_column(index=True)
    grant_id: Mapped[uuid.UUID] = mapped_column(index=True)
    dataset_id: Mapped[uuid.UUID | None]  # None for an analysis result or the project's data
    # the grants an analysis result was computed under: it leaves with any of them
    derived_from: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(Uuid), default=list)
    name: Mapped[str] = mapped_column(String(255))
    columns: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    rows: Mapped[int] = mapped_column(BigInteger)
    key_version: Mapped[int] = mapped_column(Integer)
    bucket: Mapped[str] = mapped_column(String(255))
    object_key: Mapped[str] = mapped_column(String(1024), unique=True)
    registered_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELLED = (
    "queued",
    "running",
    "succeeded",
    "failed",
    "cancelled",
)
FINISHED = frozenset({SUCCEEDED, FAILED, CANCELLED})


class Analysis(Base):
    """A member's free SQL, run in the space; its result becomes a project table."""

    __tablename__ = "analysis"
    __table_args__ = (
        Index("ix_analysis_project", "project_id", "created_at", "id"),
        Index("ix_analysis_state", "state", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    project_id: Mapped[uuid.UUID]
    subject: Mapped[str] = mapped_column(Text)
    name: Mapped[str] = mapped_column(String(63))  # the result table's
    sql: Mapped[str] = mapped_column(Text)
    tables: Mapped[list[str]] = mapped_column(ARRAY(Text))  # the tables it reads
    grant_ids: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(Uuid))
    state: Mapped[str] = mapped_column(String(20), default=QUEUED)
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    problem: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    table_id: Mapped[uuid.UUID | None]
    rows: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
