import uuid
from collections.abc import Collection

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from access.catalog_refs.models import DatasetRef
from access.register.models import RegisterEntry
from hdh_common.pagination import keyset


class RegisterRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, request_id: uuid.UUID) -> RegisterEntry | None:
        return await self.session.get(RegisterEntry, request_id)

    async def put(self, entry: RegisterEntry) -> None:
        await self.session.merge(entry)

    async def dataset_titles(self, ids: Collection[uuid.UUID]) -> dict[uuid.UUID, str]:
        rows = await self.session.execute(
            select(DatasetRef.id, DatasetRef.title).where(DatasetRef.id.in_(ids))
        )
        return {row.id: row.title for row in rows}

    async def page(self, *, cursor: str | None, limit: int) -> list[RegisterEntry]:
        query = keyset(
            select(RegisterEntry),
            RegisterEntry.updated_at,
            RegisterEntry.request_id,
            cursor=cursor,
            limit=limit,
        )
        return list(await self.session.scalars(query))
