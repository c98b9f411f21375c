"""Free SQL analyses as members see them: submitted after a check by parsing, under live
rights confirmed with the access service; followed and cancelled by the project's members."""

import uuid
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from hdh_common.errors import NotFound
from hdh_common.identity import Principal
from hdh_common.pagination import Page
from hdh_common.service_client import ServiceClient
from workspace.analyses import schemas, sql
from workspace.analyses.errors import AnalysisFinished, TableNameTaken, as_problem
from workspace.analyses.repository import AnalysisRepository
from workspace.db import outbox
from workspace.events import ANALYSIS_FINISHED, ANALYSIS_SUBMITTED, AnalysisSubmitted
from workspace.events import AnalysisFinished as Finished
from workspace.queries.errors import QueryCancelled
from workspace.spaces import data
from workspace.spaces.models import CANCELLED, FINISHED, QUEUED, Analysis
from workspace.spaces.service import readable


async def submit(
    session: AsyncSession,
    access: ServiceClient,
    principal: Principal,
    project_id: uuid.UUID,
    request: schemas.AnalysisRequest,
) -> schemas.Analysis:
    found = await data.readable_tables(session, access, principal, project_id)
    tables = sql.referenced_tables(request.sql, found.tables)
    if request.name.lower() in {name.lower() for name in found.tables}:
        raise TableNameTaken(f"The project space already has a table {request.name}.")
    analysis = await AnalysisRepository(session).add(
        Analysis(
            project_id=project_id,
            subject=principal.subject,
            name=request.name,
            sql=request.sql,
            tables=tables,
            grant_ids=found.grant_ids,
            state=QUEUED,
            progress=0.0,
        )
    )
    submitted = AnalysisSubmitted(
        project_id=project_id,
        analysis_id=analysis.id,
        name=analysis.name,
        sql=analysis.sql,
        tables=tables,
        grant_ids=found.grant_ids,
    )
    await outbox.publish(
        session,
        type=ANALYSIS_SUBMITTED,
        subject=str(project_id),
        data=submitted.model_dump(mode="json"),
        actor=principal.subject,
    )
    return schemas.Analysis.model_validate(analysis)


async def page(
    session: AsyncSession,
    access: ServiceClient,
    principal: Principal,
    project_id: uuid.UUID,
    *,
    cursor: str | None,
    limit: int,
) -> Page[schemas.Analysis]:
    await readable(session, access, principal, project_id, members_only=True)
    rows = await AnalysisRepository(session).page(project_id, cursor=cursor, limit=limit)
    return Page.from_rows(
        rows, limit, key=lambda a: (a.created_at, a.id), convert=schemas.Analysis.model_validate
    )


async def get(
    session: AsyncSession,
    access: ServiceClient,
    principal: Principal,
    project_id: uuid.UUID,
    analysis_id: uuid.UUID,
) -> schemas.Analysis:
    await readable(session, access, principal, project_id, members_only=True)
    return schemas.Analysis.model_validate(await _found(session, project_id, analysis_id))


async def cancel(
    session: AsyncSession,
    access: ServiceClient,
    principal: Principal,
    project_id: uuid.UUID,
    analysis_id: uuid.UUID,
) -> schemas.Analysis:
    """Stop it: the worker running it sees the state at its next heartbeat."""
    await readable(session, access, principal, project_id, members_only=True)
    analysis = await _found(session, project_id, analysis_id, lock=True)
    if analysis.state in FINISHED:
        raise AnalysisFinished(f"The analysis is already {analysis.state}.")
    analysis.state, analysis.finished_at = CANCELLED, datetime.now(UTC)
    analysis.problem = as_problem(QueryCancelled(f"Cancelled by {principal.subject}."))
    finished = Finished(
        project_id=project_id,
        analysis_id=analysis.id,
        name=analysis.name,
        state=CANCELLED,
        problem_type=analysis.problem["type"],
    )
    await outbox.publish(
        session,
        type=ANALYSIS_FINISHED,
        subject=str(project_id),
        data=finished.model_dump(mode="json"),
        actor=principal.subject,
    )
    await session.flush()
    return schemas.Analysis.model_validate(analysis)


async def _found(
    session: AsyncSession, project_id: uuid.UUID, analysis_id: uuid.UUID, *, lock: bool = False
) -> Analysis:
    analysis = await AnalysisRepository(session).get(analysis_id, lock=lock)
    if analysis is None or analysis.project_id != project_id:
        raise NotFound(f"No analysis {analysis_id} in this project.")
    return analysis
