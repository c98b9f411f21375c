import uuid
from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from hdh_common.pagination import keyset
from workspace.sessions.models import RUNNING, STOPPED, STOPPING, NotebookSession


class SessionRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, notebook: NotebookSession) -> NotebookSession:
        self.session.add(notebook)
        await self.session.flush()
        return notebook

    async def get(self, project_id: uuid.UUID, session_id: uuid.UUID) -> NotebookSession | None:
        notebook = await self.session.get(NotebookSession, session_id, populate_existing=True)
        return notebook if notebook is not None and notebook.project_id == project_id else None

    async def active(self, project_id: uuid.UUID, subject: str) -> NotebookSession | None:
        query = select(NotebookSession).where(
            NotebookSession.project_id == project_id,
            NotebookSession.subject == subject,
            NotebookSession.status != STOPPED,
        )
        return await self.session.scalar(query.with_for_update())

    async def page(
        self, project_id: uuid.UUID, *, subject: str | None, cursor: str | None, limit: int
    ) -> list[NotebookSession]:
        """The project's sessions, newest first: ``subject``'s, or everyone's when None."""
        query = select(NotebookSession).where(NotebookSession.project_id == project_id)
        if subject is not None:
            query = query.where(NotebookSession.subject == subject)
        query = keyset(
            query,
            NotebookSession.started_at,
            NotebookSession.id,
            cursor=cursor,
            limit=limit,
            descending=True,
        )
        return list(await self.session.scalars(query))

    async def end_access(
        self,
        *,
        reason: str,
        project_id: uuid.UUID | None = None,
        subject: str | None = None,
        grant_id: uuid.UUID | None = None,
    ) -> int:
        """Mark to stop the running sessions of the project (``subject``'s only, if given),
        or those reading ``grant_id``."""
        query = update(NotebookSession).where(NotebookSession.status == RUNNING)
        if project_id is not None:
            query = query.where(NotebookSession.project_id == project_id)
        if subject is not None:
            query = query.where(NotebookSession.subject == subject)
        if grant_id is not None:
            query = query.where(NotebookSession.grant_ids.contains([grant_id]))
        result = await self.session.execute(
            query.values(status=STOPPING, stop_reason=reason).returning(NotebookSession.id)
        )
        return len(result.all())

    async def to_stop(self, *, now: datetime, limit: int) -> list[NotebookSession]:
        """Sessions whose access ended or whose credentials ran out, locked for this round."""
        query = select(NotebookSession).where(
            or_(
                NotebookSession.status == STOPPING,
                (NotebookSession.status == RUNNING) & (NotebookSession.expires_at <= now),
            )
        )
        query = query.order_by(NotebookSession.started_at).limit(limit)
        return list(await self.session.scalars(query.with_for_update(skip_locked=True)))
