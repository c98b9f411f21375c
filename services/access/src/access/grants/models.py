import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Date, DateTime, ForeignKey, Index, String, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from access.db import Base


class GrantStatus(StrEnum):
    ACTIVE = "active"
    EXPIRED = "expired"
    REVOKED = "revoked"
    SUPERSEDED = "superseded"
    ENDED = "ended"


class Grant(Base):
    __tablename__ = "grant"
    __table_args__ = (Index("ix_grant_issued_at_id", "issued_at", "id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    request_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("access_request.id"), unique=True, index=True
    )
    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("project.id"), index=True)
    datasets: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    linkage: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list, server_default="[]")
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    expires_on: Mapped[date] = mapped_column(Date, index=True)
    status: Mapped[str] = mapped_column(String(20), default=GrantStatus.ACTIVE)
    end_reason: Mapped[str | None] = mapped_column(Text)
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
