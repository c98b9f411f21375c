import uuid
from datetime import datetime

from sqlalchemy import DateTime, Index, String, Text, Uuid, func, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from workspace.db import Base

RUNNING, STOPPING, STOPPED = "running", "stopping", "stopped"


class NotebookSession(Base):
    """A member's notebook server for a project on JupyterHub, and the credentials it got.
    ``stopping``: its access ended; the sweeper stops the server, then marks it ``stopped``."""

    __tablename__ = "session"
    __table_args__ = (
        Index(
            "uq_session_project_id_subject_active",
            "project_id",
            "subject",
            unique=True,
            postgresql_where=text("status <> 'stopped'"),
        ),
        Index("ix_session_started_at", "project_id", "started_at", "id"),
        Index("ix_session_status", "status", postgresql_where=text("status <> 'stopped'")),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    project_id: Mapped[uuid.UUID]
    subject: Mapped[str] = mapped_column(String(255))
    server_name: Mapped[str] = mapped_column(String(255))
    grant_ids: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(Uuid()))
    status: Mapped[str] = mapped_column(String(20), default=RUNNING)
    stop_reason: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    stopped_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
