import uuid
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from catalog.basket.models import BasketItem
from catalog.datasets.models import Dataset
from catalog.dictionary.models import DatasetTable, Variable


class BasketRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def variable(self, dataset_id: uuid.UUID, table: str, name: str) -> Variable | None:
        query = (
            select(Variable)
            .join(DatasetTable, DatasetTable.id == Variable.table_id)
            .where(
                DatasetTable.dataset_id == dataset_id,
                DatasetTable.name == table,
                Variable.name == name,
            )
        )
        return await self.session.scalar(query)

    async def add(self, owner: str, dataset_id: uuid.UUID, table: str, name: str) -> None:
        values = {
            "owner": owner,
            "dataset_id": dataset_id,
            "table_name": table,
            "variable_name": name,
        }
        await self.session.execute(insert(BasketItem).values(values).on_conflict_do_nothing())

    async def remove(self, owner: str, dataset_id: uuid.UUID, table: str, name: str) -> int:
        result = await self.session.execute(
            delete(BasketItem).where(
                BasketItem.owner == owner,
                BasketItem.dataset_id == dataset_id,
                BasketItem.table_name == table,
                BasketItem.variable_name == name,
            )
        )
        return int(getattr(result, "rowcount", 0) or 0)

    async def items(self, owner: str) -> list[Any]:
        query = (
            select(BasketItem, Dataset.slug, Dataset.title, Variable.label, Variable.identifier)
            .join(Dataset, Dataset.id == BasketItem.dataset_id)
            .join(
                DatasetTable,
                (DatasetTable.dataset_id == BasketItem.dataset_id)
                & (DatasetTable.name == BasketItem.table_name),
            )
            .join(
                Variable,
                (Variable.table_id == DatasetTable.id)
                & (Variable.name == BasketItem.variable_name),
            )
            .where(BasketItem.owner == owner)
            .order_by(Dataset.slug, BasketItem.table_name, Variable.position)
        )
        return list((await self.session.execute(query)).all())
