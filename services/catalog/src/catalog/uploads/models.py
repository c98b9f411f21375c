import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from catalog.db import Base


class Upload(Base):
    """A file arriving in parts: a table of a dataset, or a project's own data."""

    __tablename__ = "upload"
    __table_args__ = (
        CheckConstraint("(dataset_id IS NULL) <> (project_id IS NULL)", name="one_target"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    dataset_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("dataset.id", ondelete="CASCADE"), index=True
    )
    # a project's own data: the grant it is loaded under, its Table Schema, its report
    project_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    grant_id: Mapped[uuid.UUID | None]
    table_schema: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    report: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    table_name: Mapped[str] = mapped_column(String(200))
    format: Mapped[str] = mapped_column(String(20))
    delimiter: Mapped[str | None] = mapped_column(String(1))
    dialect: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    declared_size: Mapped[int] = mapped_column(BigInteger)
    declared_sha256: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(20), default="open")
    created_by: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class UploadPart(Base):
    __tablename__ = "upload_part"

    upload_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("upload.id", ondelete="CASCADE"), primary_key=True
    )
    number: Mapped[int] = mapped_column(Integer, primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


class DatasetVersion(Base):
    """An immutable result of one upload: validated (with its Parquet) or rejected."""

    __tablename__ = "dataset_version"
    __table_args__ = (UniqueConstraint("dataset_id", "table_name", "number"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    dataset_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("dataset.id", ondelete="CASCADE"))
    table_name: Mapped[str] = mapped_column(String(200))
    number: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20))
    upload_id: Mapped[uuid.UUID] = mapped_column()
    source_size: Mapped[int] = mapped_column(BigInteger)
    source_sha256: Mapped[str] = mapped_column(String(64))
    row_count: Mapped[int] = mapped_column(BigInteger)
    object_key: Mapped[str | None] = mapped_column(String(1024))
    object_sha256: Mapped[str | None] = mapped_column(String(64))
    object_size: Mapped[int | None] = mapped_column(BigInteger)
    report: Mapped[dict[str, Any]] = mapped_column(JSONB)
    statistics: Mapped[dict[str, Any]] = mapped_column(JSONB)
    created_by: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
