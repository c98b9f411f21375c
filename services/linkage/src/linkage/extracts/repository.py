import uuid
from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from hdh_common.pagination import keyset
from linkage.extracts.models import LIVE, ExtractFile, Grant


class GrantRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def upsert(self, grant: Grant) -> None:
        values = {
            "id": grant.id,
            "request_id": grant.request_id,
            "project_id": grant.project_id,
            "members": grant.members,
            "datasets": grant.datasets,
            "linkage": grant.linkage,
            "period_start": grant.period_start,
            "period_end": grant.period_end,
            "expires_at": grant.expires_at,
            "status": grant.status,
        }
        statement = insert(Grant).values(**values)
        await self.session.execute(
            statement.on_conflict_do_update(
                index_elements=["id"], set_={k: statement.excluded[k] for k in values if k != "id"}
            )
        )

    async def get(self, grant_id: uuid.UUID) -> Grant | None:
        return await self.session.get(Grant, grant_id)

    async def live_for_member(
        self, project_id: uuid.UUID, subject: str, *, now: datetime
    ) -> list[Grant]:
        query = select(Grant).where(
            Grant.project_id == project_id,
            Grant.status == LIVE,
            Grant.expires_at > now,
            Grant.members.contains([subject]),
        )
        return list(await self.session.scalars(query))

    async def set_member(self, project_id: uuid.UUID, subject: str, *, member: bool) -> None:
        """Add or drop ``subject`` in every grant of the project (idempotent)."""
        without = func.array_remove(Grant.members, subject)
        members = func.array_append(without, subject) if member else without
        await self.session.execute(
            update(Grant).where(Grant.project_id == project_id).values(members=members)
        )

    async def for_project(self, project_id: uuid.UUID) -> list[Grant]:
        return list(await self.session.scalars(select(Grant).where(Grant.project_id == project_id)))


class ExtractFileRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, extract: ExtractFile) -> ExtractFile:
        self.session.add(extract)
        await self.session.flush()
        return extract

    async def get(self, file_id: uuid.UUID) -> ExtractFile | None:
        return await self.session.get(ExtractFile, file_id)

    async def page(
        self,
        *,
        project_id: uuid.UUID,
        grant_ids: list[uuid.UUID] | None,
        cursor: str | None,
        limit: int,
    ) -> list[ExtractFile]:
        """The project's files (of these grants only, unless ``grant_ids`` is None), newest
        first."""
        query = select(ExtractFile).where(ExtractFile.project_id == project_id)
        if grant_ids is not None:
            query = query.where(ExtractFile.grant_id.in_(grant_ids))
        query = keyset(
            query,
            ExtractFile.created_at,
            ExtractFile.id,
            cursor=cursor,
            limit=limit,
            descending=True,
        )
        return list(await self.session.scalars(query))

    async def remove_for_grant(self, grant_id: uuid.UUID) -> list[str]:
        result = await self.session.execute(
            delete(ExtractFile)
            .where(ExtractFile.grant_id == grant_id)
            .returning(ExtractFile.object_key)
        )
        return [row[0] for row in result]
