import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, Index, Integer, String, Text, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from linkage.db import Base

QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELLED = (
    "queued",
    "running",
    "succeeded",
    "failed",
    "cancelled",
)
PSEUDONYMISE, EXTRACT, LINK = "pseudonymise", "extract", "link"
PROJECT_DATA = "project_data"


class Job(Base):
    __tablename__ = "job"
    __table_args__ = (
        Index("ix_job_created_at_id", "created_at", "id"),
        Index("ix_job_version_id", text("(params ->> 'version_id')")),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    kind: Mapped[str] = mapped_column(String(20))
    state: Mapped[str] = mapped_column(String(20), default=QUEUED, index=True)
    params: Mapped[dict[str, Any]] = mapped_column(JSONB)
    rows_total: Mapped[int] = mapped_column(BigInteger, default=0)
    rows_done: Mapped[int] = mapped_column(BigInteger, default=0)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    report: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    error: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class PseudonymisedVersion(Base):
    """A dataset version in the ``central`` zone: where, which columns, under which key."""

    __tablename__ = "pseudonymised_version"
    __table_args__ = (Index(None, "dataset_id", "table_name"),)

    version_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    dataset_id: Mapped[uuid.UUID] = mapped_column(index=True)
    table_name: Mapped[str] = mapped_column(String(255))
    job_id: Mapped[uuid.UUID]
    object_key: Mapped[str] = mapped_column(String(1024))
    columns: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    key_version: Mapped[int] = mapped_column(Integer)
    rows: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class ValidatedVersion(Base):
    """A version as the catalogue validated it (``version.validated``): the only versions a
    job pseudonymises, with the column kinds recorded here, never the caller's."""

    __tablename__ = "validated_version"

    version_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    dataset_id: Mapped[uuid.UUID]
    table_name: Mapped[str] = mapped_column(String(255))
    bucket: Mapped[str] = mapped_column(String(255))
    object_key: Mapped[str] = mapped_column(String(1024))
    columns: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    recorded_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


class CentralObject(Base):
    """A key of the ``central`` bucket, claimed by the one job that may write it, once."""

    __tablename__ = "central_object"

    object_key: Mapped[str] = mapped_column(String(1024), primary_key=True)
    job_id: Mapped[uuid.UUID]
    claimed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
