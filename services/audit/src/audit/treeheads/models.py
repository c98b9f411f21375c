from datetime import datetime

from sqlalchemy import BigInteger, DateTime, ForeignKey, Identity, LargeBinary, String, func
from sqlalchemy.orm import Mapped, mapped_column

from audit.db import Base


class SigningKey(Base):
    """A public key that signed tree heads; kept after rotation so old heads stay checkable."""

    __tablename__ = "signing_key"

    key_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    algorithm: Mapped[str] = mapped_column(String(32))
    public_key: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class TreeHead(Base):
    __tablename__ = "tree_head"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    tree_size: Mapped[int] = mapped_column(BigInteger, index=True)
    root_hash: Mapped[bytes] = mapped_column(LargeBinary)
    timestamp: Mapped[int] = mapped_column(BigInteger)
    signature: Mapped[bytes] = mapped_column(LargeBinary)
    key_id: Mapped[str] = mapped_column(ForeignKey("signing_key.key_id"))
