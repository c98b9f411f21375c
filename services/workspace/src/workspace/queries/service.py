"""An aggregate query asked by a member: rights confirmed with the access service before it
starts and re-read while it runs (a revocation, a removal or a closure stops it), the
project's tables read from local copies of their Parquet, the answer disclosure-controlled,
and the query written to the audit log with how many cells it released."""

import asyncio
import time
import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from hdh_common.identity import Principal
from hdh_common.service_client import ServiceClient
from hdh_common.spark import get_session
from hdh_common.storage import ObjectStore
from workspace.config import Settings
from workspace.db import outbox
from workspace.errors import AccessEnded
from workspace.events import QUERY_ANSWERED, QueryAnswered
from workspace.queries.disclosure import Control
from workspace.queries.engine import Cancel, run_query
from workspace.queries.errors import QueryCancelled
from workspace.queries.schemas import ProjectTable, QueryAnswer, QueryRequest
from workspace.spaces import data

SPARK_APP_NAME = "hdh-workspace"


def _run(
    settings: Settings,
    request: QueryRequest,
    tables: dict[str, ProjectTable],
    *,
    control: Control,
    cancel: Cancel,
) -> QueryAnswer:
    """The query on the engine the settings choose: DuckDB, or Spark SQL (``HDH_ENGINE``)."""
    if settings.engine == "spark":
        from workspace.queries import spark_engine  # pyspark: the ``spark`` extra

        spark = get_session(settings.spark_master, SPARK_APP_NAME, storage=settings)
        return spark_engine.run_query(
            spark, request, tables, limits=settings.limits, control=control, cancel=cancel
        )
    return run_query(request, tables, limits=settings.limits, control=control, cancel=cancel)


async def answer(
    session: AsyncSession,
    access: ServiceClient,
    store: ObjectStore,
    settings: Settings,
    principal: Principal,
    project_id: uuid.UUID,
    request: QueryRequest,
) -> QueryAnswer:
    found = await data.readable_tables(session, access, principal, project_id)
    chosen = found.pick(request.tables)
    tables = await data.local_copies(store, settings.workspace_files_path, found, chosen)
    started = time.monotonic()
    cancel = Cancel()
    control = Control(threshold=settings.workspace_query_threshold)
    work = asyncio.to_thread(_run, settings, request, tables, control=control, cancel=cancel)
    try:
        result = await data.watch_rights(work, cancel, session, principal, found)
    except QueryCancelled as stopped:
        raise AccessEnded(f"The query was stopped: {stopped}") from stopped
    event = QueryAnswered(
        project_id=project_id,
        grant_ids=found.grant_ids,
        request=request.model_dump(mode="json", exclude_defaults=True),
        cells=len(result.cells),
        suppressed=sum(cell.suppressed for cell in result.cells),
        milliseconds=round((time.monotonic() - started) * 1000),
    )
    await outbox.publish(
        session,
        type=QUERY_ANSWERED,
        subject=str(project_id),
        data=event.model_dump(mode="json"),
        actor=principal.subject,
    )
    return result
