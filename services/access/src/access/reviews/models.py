import uuid
from datetime import date, datetime

from sqlalchemy import Date, DateTime, ForeignKey, Index, Integer, String, Text, func, text
from sqlalchemy.orm import Mapped, mapped_column

from access.db import Base


def _request_fk() -> Mapped[uuid.UUID]:
    return mapped_column(ForeignKey("access_request.id", ondelete="CASCADE"), index=True)


class Message(Base):
    """One message of a request's information thread."""

    __tablename__ = "request_message"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    request_id: Mapped[uuid.UUID] = _request_fk()
    author: Mapped[str] = mapped_column(String(255))
    author_role: Mapped[str] = mapped_column(String(30))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class ConflictDeclaration(Base):
    __tablename__ = "conflict_declaration"

    request_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("access_request.id", ondelete="CASCADE"), primary_key=True
    )
    subject: Mapped[str] = mapped_column(String(255), primary_key=True)
    statement: Mapped[str] = mapped_column(Text)
    declared_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


class Decision(Base):
    """An external authority's record: a committee opinion, a regulator decision, an agreement.

    ``kind`` is ``opinion`` (outcome favourable, favourable_with_reservations, unfavourable),
    ``regulator`` (authorised, refused), ``data_holder_agreement`` or ``data_use_agreement``
    (signed). An opinion is final for its committee ``round``: one per round.
    """

    __tablename__ = "decision"
    __table_args__ = (
        Index(
            "uq_decision_one_opinion_per_round",
            "request_id",
            "round",
            unique=True,
            postgresql_where=text("kind = 'opinion'"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    request_id: Mapped[uuid.UUID] = _request_fk()
    kind: Mapped[str] = mapped_column(String(30))
    outcome: Mapped[str] = mapped_column(String(40))
    round: Mapped[int | None] = mapped_column(Integer)
    """The committee round of an opinion; ``None`` for the other kinds."""
    reference: Mapped[str] = mapped_column(String(100))
    decided_on: Mapped[date] = mapped_column(Date)
    text: Mapped[str] = mapped_column(Text, default="")
    document_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("document.id"))
    recorded_by: Mapped[str] = mapped_column(String(255))
    recorded_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
