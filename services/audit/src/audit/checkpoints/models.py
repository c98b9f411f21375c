from datetime import datetime

from sqlalchemy import (
    BigInteger,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    LargeBinary,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from audit.db import Base


class CheckpointSignature(Base):
    """The log's signed-note signature over a tree head as a checkpoint of ``origin``."""

    __tablename__ = "checkpoint"
    __table_args__ = (UniqueConstraint("tree_head_id", "origin"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    tree_head_id: Mapped[int] = mapped_column(ForeignKey("tree_head.id"))
    origin: Mapped[str] = mapped_column(Text)
    key_id: Mapped[int] = mapped_column(BigInteger)
    signature: Mapped[bytes] = mapped_column(LargeBinary)


class Cosignature(Base):
    """A witness's cosignature/v1 of the checkpoint ``(origin, tree_size, root_hash)``."""

    __tablename__ = "cosignature"
    __table_args__ = (
        UniqueConstraint(
            "origin", "tree_size", "root_hash", "witness", "key_id", name="uq_cosignature_signed"
        ),
        Index("ix_cosignature_witness_size", "origin", "witness", "key_id", "tree_size"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    origin: Mapped[str] = mapped_column(Text)
    tree_size: Mapped[int] = mapped_column(BigInteger)
    root_hash: Mapped[bytes] = mapped_column(LargeBinary)
    witness: Mapped[str] = mapped_column(Text)
    key_id: Mapped[int] = mapped_column(BigInteger)
    signature: Mapped[bytes] = mapped_column(LargeBinary)
    """The timestamped signature: 8-byte big-endian time, then the Ed25519 signature."""
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
