"""An aggregate query asked by a member: rights confirmed with the access service before it
starts and re-read while it runs (a revocation, a removal or a closure stops it), the
project's tables read from local copies of their Parquet, the answer disclosure-controlled,
and the query written to the audit log with how many cells it released."""

import asyncio
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from hdh_common.identity import Principal
from hdh_common.service_client import ServiceClient
from hdh_common.storage import ObjectStore, download
from workspace.config import Settings
from workspace.db import outbox
from workspace.errors import AccessEnded
from workspace.events import QUERY_ANSWERED, QueryAnswered
from workspace.queries.disclosure import Control
from workspace.queries.engine import Cancel, Limits, run_query
from workspace.queries.errors import InvalidQuery, QueryCancelled, UnknownTable
from workspace.queries.schemas import ColumnKind, ProjectTable, QueryAnswer, QueryRequest
from workspace.spaces import models
from workspace.spaces.models import CLOSED
from workspace.spaces.repository import GrantRepository, SpaceRepository, TableRepository
from workspace.spaces.service import readable

RECHECK_SECONDS = 0.25
"""How often a running query re-reads the project's state (a revocation stops it)."""


async def answer(
    session: AsyncSession,
    access: ServiceClient,
    store: ObjectStore,
    settings: Settings,
    principal: Principal,
    project_id: uuid.UUID,
    request: QueryRequest,
) -> QueryAnswer:
    _, grants = await readable(session, access, principal, project_id, members_only=True)
    grant_ids = [grant.id for grant in grants]
    registered = await TableRepository(session).of_grants(project_id, grant_ids)
    newest: dict[str, models.ProjectTable] = {}
    for table in registered:
        newest.setdefault(table.name, table)
    if unknown := [name for name in request.tables if name not in newest]:
        raise UnknownTable(f"The project space has no table {', '.join(unknown)}.")
    folder = settings.workspace_files_path / str(project_id)
    _prune(folder, keep={table.id for table in newest.values()})
    tables = {name: await _local(store, folder, newest[name]) for name in request.tables}

    started = time.monotonic()
    cancel = Cancel()
    work = asyncio.ensure_future(
        asyncio.to_thread(
            run_query,
            request,
            tables,
            limits=Limits(
                memory=settings.workspace_query_memory,
                threads=settings.workspace_query_threads,
                seconds=settings.workspace_query_seconds,
                max_cells=settings.workspace_query_max_cells,
            ),
            control=Control(threshold=settings.workspace_query_threshold),
            cancel=cancel,
        )
    )
    while not (await asyncio.wait({work}, timeout=RECHECK_SECONDS))[0]:
        if cancel.reason is None and (reason := await _lost(session, principal, grant_ids)):
            cancel(reason)
    try:
        result = work.result()
    except QueryCancelled as stopped:
        raise AccessEnded(f"The query was stopped: {stopped}") from stopped
    event = QueryAnswered(
        project_id=project_id,
        grant_ids=grant_ids,
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


async def _lost(
    session: AsyncSession, principal: Principal, grant_ids: list[uuid.UUID]
) -> str | None:
    """Why the caller may no longer read what the running query reads, if they may not."""
    grants = await GrantRepository(session).get_many(grant_ids)
    now = datetime.now(UTC)
    if any(g.status != models.LIVE or g.expires_at <= now for g in grants):
        return "a grant of the project ended."
    space = await SpaceRepository(session).get(grants[0].project_id) if grants else None
    if space is None or space.status == CLOSED:
        return "the project was closed."
    if principal.subject not in space.members:
        return "you are no longer a member of this project."
    return None


async def _local(store: ObjectStore, folder: Path, table: models.ProjectTable) -> ProjectTable:
    """The table as the engine reads it, its Parquet copied once into the project's folder."""
    pseudonyms = [c["name"] for c in table.columns if c["kind"] == "pseudonym"]
    if not pseudonyms:
        raise InvalidQuery(f"The table {table.name} has no pseudonym to count persons by.")
    path = folder / f"{table.id}.parquet"
    if not path.exists():
        await asyncio.to_thread(folder.mkdir, parents=True, exist_ok=True)
        await download(store, table.bucket, table.object_key, path)
    return ProjectTable(
        name=table.name,
        columns={c["name"]: column_kind(c["type"], c["kind"]) for c in table.columns},
        pseudonym=pseudonyms[0],
        paths=(path,),
    )


def column_kind(arrow_type: str, kind: str) -> ColumnKind:
    """How a query may use a column, from its Arrow type and its identifier kind."""
    if kind == "pseudonym":
        return "pseudonym"
    if arrow_type.startswith(("int", "uint", "float", "double", "halffloat", "decimal")):
        return "numeric"
    if arrow_type.startswith(("date", "timestamp")):
        return "date"
    if arrow_type == "bool":
        return "boolean"
    return "text"


def _prune(folder: Path, *, keep: set[uuid.UUID]) -> None:
    """Remove the copies of tables that left the space (their grant ended)."""
    for path in folder.glob("*.parquet") if folder.is_dir() else ():
        if path.stem not in {str(table_id) for table_id in keep}:
            path.unlink(missing_ok=True)
