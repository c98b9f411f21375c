from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, Index, LargeBinary, String, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from audit.db import Base


class Entry(Base):
    """One audit record; ``seq`` is also its leaf index in the Merkle tree."""

    __tablename__ = "entry"
    __table_args__ = (
        Index("ix_entry_actor_seq", "actor", "seq"),
        Index("ix_entry_action_seq", "action", "seq"),
        Index("ix_entry_resource_seq", "resource_type", "resource_id", "seq"),
        Index("ix_entry_project_seq", "project", "seq"),
        Index("ix_entry_time", "time"),
    )

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    event_id: Mapped[str] = mapped_column(String(64), unique=True)
    time: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    source: Mapped[str | None] = mapped_column(Text)
    actor: Mapped[str | None] = mapped_column(Text)
    action: Mapped[str] = mapped_column(Text)
    resource_type: Mapped[str | None] = mapped_column(Text)
    resource_id: Mapped[str | None] = mapped_column(Text)
    project: Mapped[str | None] = mapped_column(Text)
    outcome: Mapped[str] = mapped_column(Text)
    client_ip: Mapped[str | None] = mapped_column(Text)
    request_id: Mapped[str | None] = mapped_column(Text)
    correlation_id: Mapped[str | None] = mapped_column(Text)
    purpose: Mapped[str | None] = mapped_column(Text)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB)
    leaf_hash: Mapped[bytes] = mapped_column(LargeBinary)
