import uuid
from datetime import datetime

from sqlalchemy import Boolean, DateTime, String, false, func
from sqlalchemy.orm import Mapped, mapped_column

from access.db import Base


class DatasetRef(Base):
    """A catalogue dataset, as announced by ``hdh.catalog.dataset.registered.v1``."""

    __tablename__ = "dataset_ref"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(500))
    publisher: Mapped[str] = mapped_column(String(100))
    registered_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


class VariableRef(Base):
    """A variable of a catalogue table, as announced by ``hdh.catalog.table.published.v1``."""

    __tablename__ = "variable_ref"

    dataset_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    table_name: Mapped[str] = mapped_column(String(200), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    event_date: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    identifier: Mapped[str | None] = mapped_column(String(30))
    """The kind of identifier the column holds (``nir``, ``national_pseudonym``…, ``none``);
    None for a variable recorded before kinds were (unknown until its table is published
    again)."""
