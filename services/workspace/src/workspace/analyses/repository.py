import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from hdh_common.pagination import keyset
from workspace.spaces.models import QUEUED, RUNNING, Analysis


class AnalysisRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, analysis: Analysis) -> Analysis:
        self.session.add(analysis)
        await self.session.flush()
        await self.session.refresh(analysis)
        return analysis

    async def get(self, analysis_id: uuid.UUID, *, lock: bool = False) -> Analysis | None:
        return await self.session.get(
            Analysis, analysis_id, populate_existing=True, with_for_update=lock or None
        )

    async def page(
        self, project_id: uuid.UUID, *, cursor: str | None, limit: int
    ) -> list[Analysis]:
        query = select(Analysis).where(Analysis.project_id == project_id)
        query = keyset(
            query, Analysis.created_at, Analysis.id, cursor=cursor, limit=limit, descending=True
        )
        return list(await self.session.scalars(query))

    async def claim(self, *, stale_after: timedelta) -> Analysis | None:
        """The oldest queued analysis, or a running one whose worker stopped beating."""
        stale = datetime.now(UTC) - stale_after
        analysis = await self.session.scalar(
            select(Analysis)
            .where(
                or_(
                    Analysis.state == QUEUED,
                    (Analysis.state == RUNNING) & (Analysis.heartbeat_at < stale),
                )
            )
            .order_by(Analysis.created_at)
            .limit(1)
            .with_for_update(skip_locked=True)
        )
        if analysis is not None:
            now = datetime.now(UTC)
            analysis.state, analysis.started_at, analysis.heartbeat_at = RUNNING, now, now
            await self.session.flush()
        return analysis

    async def beat(self, analysis_id: uuid.UUID, *, progress: float) -> str:
        """Record the progress; the analysis's state (``cancelled`` if a member stopped it)."""
        values: dict[str, Any] = {"progress": progress, "heartbeat_at": datetime.now(UTC)}
        state = await self.session.scalar(
            update(Analysis)
            .where(Analysis.id == analysis_id)
            .values(**values)
            .returning(Analysis.state)
        )
        return str(state)
