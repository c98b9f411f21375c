from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from hdh_common.pagination import keyset
from linkage.objections.models import Objection


class ObjectionRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, *, central_pseudonym: str, key_version: int, recorded_by: str) -> Objection:
        await self.session.execute(
            insert(Objection)
            .values(
                central_pseudonym=central_pseudonym,
                key_version=key_version,
                recorded_by=recorded_by,
            )
            .on_conflict_do_nothing(index_elements=["central_pseudonym", "key_version"])
        )
        found = await self.session.scalar(
            select(Objection).where(
                Objection.central_pseudonym == central_pseudonym,
                Objection.key_version == key_version,
            )
        )
        assert found is not None
        return found

    async def pseudonyms(self, key_version: int) -> list[str]:
        query = select(Objection.central_pseudonym).where(Objection.key_version == key_version)
        return list(await self.session.scalars(query))

    async def page(self, *, cursor: str | None, limit: int) -> list[Objection]:
        query = keyset(
            select(Objection), Objection.created_at, Objection.id, cursor=cursor, limit=limit
        )
        return list(await self.session.scalars(query))
