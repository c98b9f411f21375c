import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from catalog.datasets.models import DatasetRevision
from hdh_common.pagination import keyset


class RevisionRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, revision: DatasetRevision) -> None:
        self.session.add(revision)
        await self.session.flush()

    async def page(
        self, dataset_id: uuid.UUID, *, cursor: str | None, limit: int
    ) -> list[DatasetRevision]:
        query = select(DatasetRevision).where(DatasetRevision.dataset_id == dataset_id)
        query = keyset(query, DatasetRevision.revision, cursor=cursor, limit=limit)
        return list(await self.session.scalars(query))

    async def get(self, dataset_id: uuid.UUID, revision: int) -> DatasetRevision | None:
        return await self.session.get(DatasetRevision, (dataset_id, revision))
