import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, Integer, String, Text, func
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from linkage.db import Base

LIVE = "live"  # otherwise the way it ended: revoked, expired, superseded or ended


class Grant(Base):
    """Read model of the access service's grants: who may reach which project's extracts."""

    __tablename__ = "grant"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    request_id: Mapped[uuid.UUID | None]
    project_id: Mapped[uuid.UUID] = mapped_column(index=True)
    members: Mapped[list[str]] = mapped_column(ARRAY(Text))
    datasets: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    linkage: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list, server_default="[]")
    period_start: Mapped[date | None]
    period_end: Mapped[date | None]
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(20), default=LIVE)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )


class ExtractFile(Base):
    __tablename__ = "extract_file"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    grant_id: Mapped[uuid.UUID] = mapped_column(index=True)
    project_id: Mapped[uuid.UUID] = mapped_column(index=True)
    dataset_id: Mapped[uuid.UUID]
    table_name: Mapped[str] = mapped_column(String(255))
    version_id: Mapped[uuid.UUID]
    object_key: Mapped[str] = mapped_column(String(1024), unique=True)
    columns: Mapped[list[str]] = mapped_column(ARRAY(Text))
    rows: Mapped[int] = mapped_column(BigInteger)
    size: Mapped[int] = mapped_column(BigInteger)
    key_version: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
