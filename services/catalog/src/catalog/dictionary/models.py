import uuid
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from catalog.db import Base


class DatasetTable(Base):
    __tablename__ = "dataset_table"
    __table_args__ = (UniqueConstraint("dataset_id", "name"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    dataset_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("dataset.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(1000), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    product: Mapped[str] = mapped_column(String(200), default="")
    primary_key: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    order_rules: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    event_dates: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list, server_default="{}")
    position: Mapped[int] = mapped_column(Integer)


class Variable(Base):
    __tablename__ = "variable"
    __table_args__ = (UniqueConstraint("table_id", "name"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    table_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("dataset_table.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    label: Mapped[str] = mapped_column(Text, default="")
    description: Mapped[str] = mapped_column(Text, default="")
    type: Mapped[str] = mapped_column(String(30))
    format: Mapped[str] = mapped_column(String(100), default="default")
    length: Mapped[int | None] = mapped_column(Integer)
    unit: Mapped[str] = mapped_column(String(100), default="")
    required: Mapped[bool] = mapped_column(Boolean, default=False)
    nomenclature: Mapped[str | None] = mapped_column(String(200), index=True)
    identifier: Mapped[str] = mapped_column(String(20), default="none")
    sensitivity: Mapped[str] = mapped_column(String(20), default="normal")
    created_year: Mapped[int | None] = mapped_column(Integer)
    deleted_year: Mapped[int | None] = mapped_column(Integer)
    extra: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    position: Mapped[int] = mapped_column(Integer)


class ForeignKeyRelation(Base):
    __tablename__ = "foreign_key"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    table_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("dataset_table.id", ondelete="CASCADE"))
    fields: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    reference_table: Mapped[str] = mapped_column(String(200))
    reference_fields: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    position: Mapped[int] = mapped_column(Integer)
