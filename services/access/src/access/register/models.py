import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from access.db import Base


class RegisterEntry(Base):
    """A public line of the register, written by the workflow only."""

    __tablename__ = "register_entry"

    request_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("access_request.id"), primary_key=True)
    project_title: Mapped[str] = mapped_column(String(300))
    organisation: Mapped[str] = mapped_column(String(100))
    purpose: Mapped[str] = mapped_column(Text)
    datasets: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    legal_basis: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20))
    decided_on: Mapped[date] = mapped_column(Date)
    justification: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # outputs released from the project's space through the airlock, and the latest release
    outputs_released: Mapped[int] = mapped_column(Integer, default=0)
    last_output_released_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
