import uuid
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, String, func
from sqlalchemy.orm import Mapped, mapped_column

from catalog.db import Base


class BasketItem(Base):
    """A variable a researcher set aside while browsing."""

    __tablename__ = "basket_item"

    owner: Mapped[str] = mapped_column(String(255), primary_key=True)
    dataset_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("dataset.id", ondelete="CASCADE"), primary_key=True
    )
    table_name: Mapped[str] = mapped_column(String(200), primary_key=True)
    variable_name: Mapped[str] = mapped_column(String(200), primary_key=True)
    added_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
