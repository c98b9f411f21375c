import uuid
from collections.abc import Collection
from datetime import date

from sqlalchemy import exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from access.catalog_refs.models import DatasetRef, VariableRef
from access.projects.models import Project, ProjectMember
from access.requests.models import AccessRequest, RequestTransition
from access.reviews.models import ConflictDeclaration
from hdh_common.pagination import keyset

CLOCKED_STATES = (
    "submitted",
    "info_requested",
    "admissible",
    "committee_review",
    "regulator_review",
    "authorised",
    "agreement_signed",
    "data_preparation",
    "preparation_failed",
)


class RequestRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, request_id: uuid.UUID) -> AccessRequest | None:
        return await self.session.scalar(
            select(AccessRequest)
            .where(AccessRequest.id == request_id)
            .options(selectinload(AccessRequest.datasets))
            .execution_options(populate_existing=True)
        )

    async def add(self, request: AccessRequest) -> AccessRequest:
        self.session.add(request)
        await self.session.flush()
        await self.session.refresh(request, attribute_names=["created_at", "state_entered_at"])
        return request

    async def known_datasets(self, ids: Collection[uuid.UUID]) -> set[uuid.UUID]:
        rows = await self.session.scalars(select(DatasetRef.id).where(DatasetRef.id.in_(ids)))
        return set(rows)

    async def known_variables(
        self, ids: Collection[uuid.UUID]
    ) -> dict[tuple[uuid.UUID, str, str], str | None]:
        """The catalogue's variables of these datasets, with the identifier kind of each."""
        rows = await self.session.execute(
            select(
                VariableRef.dataset_id,
                VariableRef.table_name,
                VariableRef.name,
                VariableRef.identifier,
            ).where(VariableRef.dataset_id.in_(ids))
        )
        return {(r.dataset_id, r.table_name, r.name): r.identifier for r in rows}

    async def page(
        self,
        *,
        member: str | None,
        conflicted: str | None,
        include_drafts: bool,
        organisation: str | None = None,
        project_id: uuid.UUID | None,
        state: str | None,
        overdue_on: date | None,
        cursor: str | None,
        limit: int,
    ) -> list[AccessRequest]:
        """Newest first."""
        query = select(AccessRequest).options(selectinload(AccessRequest.datasets))
        if member is not None:
            query = query.where(
                AccessRequest.project_id.in_(
                    select(ProjectMember.project_id).where(ProjectMember.subject == member)
                )
            )
        if organisation is not None:
            query = query.where(
                AccessRequest.project_id.in_(
                    select(Project.id).where(Project.organisation == organisation)
                )
            )
        if conflicted is not None:
            query = query.where(
                ~exists().where(
                    ConflictDeclaration.request_id == AccessRequest.id,
                    ConflictDeclaration.subject == conflicted,
                )
            )
        if not include_drafts:
            query = query.where(AccessRequest.state != "draft")
        if project_id is not None:
            query = query.where(AccessRequest.project_id == project_id)
        if state is not None:
            query = query.where(AccessRequest.state == state)
        if overdue_on is not None:
            query = query.where(
                AccessRequest.due_on < overdue_on, AccessRequest.state.in_(CLOCKED_STATES)
            )
        query = keyset(
            query,
            AccessRequest.created_at,
            AccessRequest.id,
            cursor=cursor,
            limit=limit,
            descending=True,
        )
        return list(await self.session.scalars(query))

    async def conflicted(self, request_id: uuid.UUID, subject: str) -> bool:
        found = await self.session.scalar(
            select(
                exists().where(
                    ConflictDeclaration.request_id == request_id,
                    ConflictDeclaration.subject == subject,
                )
            )
        )
        return bool(found)

    async def history(
        self, request_id: uuid.UUID, *, cursor: str | None, limit: int
    ) -> list[RequestTransition]:
        query = select(RequestTransition).where(RequestTransition.request_id == request_id)
        query = keyset(query, RequestTransition.id, cursor=cursor, limit=limit)
        return list(await self.session.scalars(query))

    async def count_per_state(self) -> dict[str, int]:
        rows = await self.session.execute(
            select(AccessRequest.state, func.count()).group_by(AccessRequest.state)
        )
        return {state: count for state, count in rows}

    async def count_overdue(self, today: date) -> int:
        found = await self.session.scalar(
            select(func.count()).where(
                AccessRequest.due_on < today, AccessRequest.state.in_(CLOCKED_STATES)
            )
        )
        return int(found or 0)

    async def step_durations(self) -> list[tuple[str, int, float | None]]:
        """Per state left: how many stays ended, and their median length in days."""
        entered = func.lag(RequestTransition.at).over(
            partition_by=RequestTransition.request_id, order_by=RequestTransition.id
        )
        stays = select(
            RequestTransition.from_state.label("state"),
            (func.extract("epoch", RequestTransition.at - entered) / 86400.0).label("days"),
        ).subquery()
        query = (
            select(
                stays.c.state,
                func.count(),
                func.percentile_cont(0.5).within_group(stays.c.days),
            )
            .where(stays.c.days.is_not(None))
            .group_by(stays.c.state)
            .order_by(stays.c.state)
        )
        return [
            (state, count, median) for state, count, median in await self.session.execute(query)
        ]
