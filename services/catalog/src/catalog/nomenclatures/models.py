import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from catalog.db import Base


class Nomenclature(Base):
    __tablename__ = "nomenclature"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    title: Mapped[str] = mapped_column(Text, default="")
    code_field: Mapped[str] = mapped_column(String(200))
    label_field: Mapped[str | None] = mapped_column(String(200))
    fields: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class NomenclatureVersion(Base):
    __tablename__ = "nomenclature_version"
    __table_args__ = (UniqueConstraint("nomenclature_id", "number"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    nomenclature_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("nomenclature.id", ondelete="CASCADE")
    )
    number: Mapped[int] = mapped_column(Integer)
    label: Mapped[str] = mapped_column(String(100))
    checksum: Mapped[str] = mapped_column(String(64))
    code_count: Mapped[int] = mapped_column(Integer)
    created_by: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class NomenclatureCode(Base):
    __tablename__ = "nomenclature_code"
    __table_args__ = (Index("ix_nomenclature_code_version_id_code", "version_id", "code"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    version_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("nomenclature_version.id", ondelete="CASCADE")
    )
    code: Mapped[str] = mapped_column(Text)
    label: Mapped[str | None] = mapped_column(Text)
