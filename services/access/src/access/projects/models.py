import uuid
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, Text, func, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from access.db import Base


class Project(Base):
    __tablename__ = "project"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    title: Mapped[str] = mapped_column(String(300))
    summary: Mapped[str] = mapped_column(Text)
    lay_summary: Mapped[str | None] = mapped_column(Text)
    purpose: Mapped[str] = mapped_column(Text)
    public_interest: Mapped[str] = mapped_column(Text)
    organisation: Mapped[str] = mapped_column(String(100))
    funding: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_by: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )
    members: Mapped[list["ProjectMember"]] = relationship(
        lazy="raise", order_by="ProjectMember.added_at", cascade="all, delete-orphan"
    )

    @property
    def principal_investigator(self) -> str:
        return next(m.subject for m in self.members if m.role == "pi")


class ProjectMember(Base):
    __tablename__ = "project_member"
    __table_args__ = (
        Index(
            "uq_project_member_one_pi",
            "project_id",
            unique=True,
            postgresql_where=text("role = 'pi'"),
        ),
    )

    project_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("project.id", ondelete="CASCADE"), primary_key=True
    )
    subject: Mapped[str] = mapped_column(String(255), primary_key=True, index=True)
    role: Mapped[str] = mapped_column(String(20))
    added_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


def member_role(project: Project, subject: str) -> str | None:
    return next((m.role for m in project.members if m.subject == subject), None)
