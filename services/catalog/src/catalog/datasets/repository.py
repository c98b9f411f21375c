import uuid

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from catalog.datasets.models import Dataset
from hdh_common.pagination import keyset


class DatasetRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, dataset_id: uuid.UUID) -> Dataset | None:
        return await self.session.get(Dataset, dataset_id)

    async def slug_taken(self, slug: str) -> bool:
        found = await self.session.scalar(select(Dataset.id).where(Dataset.slug == slug))
        return found is not None

    async def add(self, dataset: Dataset) -> Dataset:
        self.session.add(dataset)
        await self.session.flush()
        await self.session.refresh(dataset)
        return dataset

    async def page(
        self, seen: ColumnElement[bool], *, cursor: str | None, limit: int
    ) -> list[Dataset]:
        query = keyset(
            select(Dataset).where(seen), Dataset.created_at, Dataset.id, cursor=cursor, limit=limit
        )
        return list(await self.session.scalars(query))

    async def count_seen(self, seen: ColumnElement[bool]) -> int:
        return int(await self.session.scalar(select(func.count(Dataset.id)).where(seen)) or 0)

    async def slice_seen(
        self, seen: ColumnElement[bool], *, offset: int, limit: int
    ) -> list[Dataset]:
        """The datasets seen, by slug: the stable order of the paged DCAT feed."""
        query = select(Dataset).where(seen).order_by(Dataset.slug).offset(offset).limit(limit)
        return list(await self.session.scalars(query))

    async def all(self) -> list[Dataset]:
        return list(await self.session.scalars(select(Dataset).order_by(Dataset.slug)))

    async def by_slug(self, slug: str) -> Dataset | None:
        return await self.session.scalar(select(Dataset).where(Dataset.slug == slug))

    async def count(self) -> int:
        return int(await self.session.scalar(select(func.count(Dataset.id))) or 0)
