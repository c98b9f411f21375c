"""A project's data as the engines read it, on live state: the tables a member may read now
(rights confirmed with the access service), local copies of their Parquet, and a watch that
stops the work when the grant ends, the member leaves or the project closes."""

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

import duckdb
import pyarrow as pa
from sqlalchemy.ext.asyncio import AsyncSession

from hdh_common.identity import Principal
from hdh_common.service_client import ServiceClient
from hdh_common.storage import ObjectStore, download
from workspace.queries.errors import InvalidQuery, UnknownTable
from workspace.queries.schemas import ColumnKind, ProjectTable
from workspace.spaces import models
from workspace.spaces.repository import GrantRepository, SpaceRepository, TableRepository
from workspace.spaces.service import readable

RECHECK_SECONDS = 0.25
"""How often running work re-reads the project's state."""
SAMPLE = 1_000
"""How many distinct values of a column are compared with the project's pseudonyms."""

T = TypeVar("T")


@dataclass(frozen=True)
class Readable:
    """What a member may read now: the live grants and the newest table of each name."""

    project_id: uuid.UUID
    grant_ids: list[uuid.UUID]
    tables: dict[str, models.ProjectTable]

    def pick(self, names: list[str]) -> list[models.ProjectTable]:
        if unknown := [name for name in names if name not in self.tables]:
            raise UnknownTable(f"The project space has no table {', '.join(unknown)}.")
        return [self.tables[name] for name in names]


async def readable_tables(
    session: AsyncSession, access: ServiceClient, principal: Principal, project_id: uuid.UUID
) -> Readable:
    _, grants = await readable(session, access, principal, project_id, members_only=True)
    grant_ids = [grant.id for grant in grants]
    newest: dict[str, models.ProjectTable] = {}
    for table in await TableRepository(session).of_grants(project_id, grant_ids):
        newest.setdefault(table.name, table)
    return Readable(project_id, grant_ids, newest)


async def local_copies(
    store: ObjectStore, root: Path, found: Readable, tables: list[models.ProjectTable]
) -> dict[str, ProjectTable]:
    """The tables as the engine reads them, each Parquet copied once into the project's
    folder; the copies of tables that left the space are removed first."""
    folder = root / str(found.project_id)
    keep = {f"{table.id}.parquet" for table in found.tables.values()}
    for path in folder.glob("*.parquet") if folder.is_dir() else ():
        if path.name not in keep:
            path.unlink(missing_ok=True)
    return {table.name: await _local(store, folder, table) for table in tables}


async def _local(store: ObjectStore, folder: Path, table: models.ProjectTable) -> ProjectTable:
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


async def lost(session: AsyncSession, subject: str, found: Readable) -> str | None:
    """Why ``subject`` may no longer read what they read, if they may not (the read model)."""
    grants = await GrantRepository(session).get_many(found.grant_ids)
    now = datetime.now(UTC)
    if any(g.status != models.LIVE or g.expires_at <= now for g in grants):
        return "a grant of the project ended."
    space = await SpaceRepository(session).get(found.project_id)
    if space is None or space.status == models.CLOSED:
        return "the project was closed."
    if subject not in space.members:
        return "you are no longer a member of this project."
    return None


async def watched(
    work: Awaitable[T],
    stop: Callable[[str], None],
    still: Callable[[], Awaitable[str | None]],
) -> T:
    """``work``'s result; while it runs, ``still()`` is asked for a reason to ``stop`` it."""
    task = asyncio.ensure_future(work)
    stopped = False
    while not (await asyncio.wait({task}, timeout=RECHECK_SECONDS))[0]:
        if not stopped and (reason := await still()):
            stop(reason)
            stopped = True
    return task.result()


async def watch_rights(
    work: Awaitable[T],
    stop: Callable[[str], None],
    session: AsyncSession,
    principal: Principal,
    found: Readable,
) -> T:
    return await watched(work, stop, lambda: lost(session, principal.subject, found))


def carried_pseudonyms(result: Path | pa.Table, tables: dict[str, ProjectTable]) -> set[str]:
    """The columns of ``result`` (a Parquet file or a table) that hold the project's
    pseudonyms, whatever they are called: a column is one when any of a sample of its
    distinct values is a pseudonym of ``tables`` (a renamed pseudonym stays a pseudonym).
    Identifiers are quoted, file paths bound."""
    if not tables:
        return set()
    known = " UNION ALL ".join(
        f"SELECT CAST({_quoted(t.pseudonym)} AS VARCHAR) AS p FROM read_parquet(?)"  # noqa: S608
        for t in tables.values()
    )
    paths = [[str(path) for path in t.paths] for t in tables.values()]
    found: set[str] = set()
    with duckdb.connect(":memory:") as connection:
        if isinstance(result, pa.Table):
            connection.register("result", result)
        else:
            connection.read_parquet(str(result)).create_view("result")
        for name in connection.table("result").columns:
            column = _quoted(name)
            query = (
                f"SELECT count(*) FROM (SELECT DISTINCT CAST({column} AS VARCHAR) AS v"  # noqa: S608
                f" FROM result WHERE {column} IS NOT NULL LIMIT {SAMPLE}) s WHERE v IN ({known})"
            )
            row = connection.execute(query, paths).fetchone()
            if row and row[0]:
                found.add(name)
    return found


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
