import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, Index, Integer, String, Text, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from linkage.db import Base

QUEUED, LOADED, FAILED = "queued", "loaded", "failed"


class ProjectData(Base):
    """A project's own file, from the catalogue's validation (its upload id) to the project's
    space: where its clear Parquet waits (deleted once handled), where its pseudonymised one
    is, and how it went."""

    __tablename__ = "project_data"
    __table_args__ = (Index("ix_project_data_project", "project_id", "created_at", "id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    project_id: Mapped[uuid.UUID]
    grant_id: Mapped[uuid.UUID]
    table_name: Mapped[str] = mapped_column(String(255))
    landing_bucket: Mapped[str] = mapped_column(String(255))
    landing_key: Mapped[str] = mapped_column(String(1024))
    columns: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    status: Mapped[str] = mapped_column(String(20), default=QUEUED)
    reason: Mapped[str | None] = mapped_column(Text)
    object_key: Mapped[str | None] = mapped_column(String(1024))
    rows: Mapped[int | None] = mapped_column(BigInteger)
    key_version: Mapped[int | None] = mapped_column(Integer)
    created_by: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
