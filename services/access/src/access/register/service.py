"""The public register, written by the workflow only: authorisations and refusals."""

import uuid
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from access.projects.models import Project
from access.register import schemas
from access.register.models import RegisterEntry
from access.register.repository import RegisterRepository
from access.requests.models import AccessRequest
from hdh_common.pagination import Page


async def publish_decision(
    session: AsyncSession,
    *,
    request: AccessRequest,
    project: Project,
    status: str,
    decided_on: date,
    justification: str | None,
    now: datetime,
) -> None:
    repository = RegisterRepository(session)
    ids = [d.dataset_id for d in request.datasets]
    titles = await repository.dataset_titles(ids)
    basis = request.methodology or "CNIL authorisation"
    entry = RegisterEntry(
        request_id=request.id,
        project_title=project.title,
        organisation=project.organisation,
        purpose=project.purpose,
        datasets=[{"dataset_id": str(i), "title": titles.get(i, "")} for i in ids],
        legal_basis=basis,
        status=status,
        decided_on=decided_on,
        justification=justification,
        updated_at=now,
    )
    await repository.put(entry)


async def update_status(
    session: AsyncSession, request_id: uuid.UUID, *, status: str, now: datetime
) -> None:
    entry = await RegisterRepository(session).get(request_id)
    if entry is not None:
        entry.status = status
        entry.updated_at = now


async def page(
    session: AsyncSession, *, cursor: str | None, limit: int
) -> Page[schemas.RegisterEntry]:
    rows = await RegisterRepository(session).page(cursor=cursor, limit=limit)
    return Page.from_rows(
        rows,
        limit,
        key=lambda r: (r.updated_at, r.request_id),
        convert=schemas.RegisterEntry.model_validate,
    )
