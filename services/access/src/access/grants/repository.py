import uuid
from collections.abc import Collection
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from access.catalog_refs.models import VariableRef
from access.grants.models import Grant, GrantStatus
from access.projects.models import ProjectMember
from hdh_common.pagination import keyset


class GrantRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, grant_id: uuid.UUID, *, lock: bool = False) -> Grant | None:
        return await self.session.get(Grant, grant_id, with_for_update=lock)

    async def for_request(self, request_id: uuid.UUID) -> Grant | None:
        return await self.session.scalar(
            select(Grant).where(Grant.request_id == request_id).with_for_update()
        )

    async def event_dates(
        self, dataset_ids: Collection[uuid.UUID]
    ) -> dict[tuple[uuid.UUID, str], list[str]]:
        """The event-date columns of the catalogue's tables, by dataset and table."""
        rows = await self.session.execute(
            select(VariableRef.dataset_id, VariableRef.table_name, VariableRef.name)
            .where(VariableRef.dataset_id.in_(dataset_ids), VariableRef.event_date)
            .order_by(VariableRef.name)
        )
        found: dict[tuple[uuid.UUID, str], list[str]] = {}
        for row in rows:
            found.setdefault((row.dataset_id, row.table_name), []).append(row.name)
        return found

    async def add(self, grant: Grant) -> Grant:
        self.session.add(grant)
        await self.session.flush()
        return grant

    async def any_active(self, project_id: uuid.UUID) -> bool:
        found = await self.session.scalar(
            select(Grant.id)
            .where(Grant.project_id == project_id, Grant.status == GrantStatus.ACTIVE)
            .limit(1)
        )
        return found is not None

    async def due_for_expiry(self, today: date) -> list[Grant]:
        rows = await self.session.scalars(
            select(Grant)
            .where(Grant.status == GrantStatus.ACTIVE, Grant.expires_on < today)
            .order_by(Grant.expires_on)
            .with_for_update(skip_locked=True)
        )
        return list(rows)

    async def page(self, *, member: str | None, cursor: str | None, limit: int) -> list[Grant]:
        """Newest first."""
        query = select(Grant)
        if member is not None:
            query = query.where(
                Grant.project_id.in_(
                    select(ProjectMember.project_id).where(ProjectMember.subject == member)
                )
            )
        query = keyset(
            query, Grant.issued_at, Grant.id, cursor=cursor, limit=limit, descending=True
        )
        return list(await self.session.scalars(query))
