"""What the workspace tests share: the access service's live-rights answer as the workspace
meets it over HTTP, and events fed to the consumers in a transaction of their own."""

import uuid
from datetime import date, timedelta
from pathlib import Path
from typing import Any, cast

import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy.ext.asyncio import AsyncEngine

from hdh_common.db import create_sessionmaker
from hdh_common.events import CloudEvent
from hdh_common.storage import FilesystemObjectStore
from workspace.consumers import on_access_event, on_linkage_event
from workspace.state import WorkspaceState


async def deliver(engine: AsyncEngine, type_: str, data: dict[str, Any]) -> None:
    """``data`` as an event of ``type_`` handled by the consumer of its topic, committed."""
    event = CloudEvent(source="/test", type=type_, subject="s", data=data, actor="tester")
    handler = on_linkage_event if type_.startswith("hdh.linkage.") else on_access_event
    async with create_sessionmaker(engine).begin() as session:
        await handler(cast(WorkspaceState, None), session, event)  # no state used


def issued(
    project: uuid.UUID, grant: uuid.UUID, members: list[str], *, days_left: int = 30
) -> dict[str, Any]:
    return {
        "grant_id": str(grant),
        "request_id": str(uuid.uuid4()),
        "project_id": str(project),
        "datasets": [],
        "members": members,
        "period_start": "2015-01-01",
        "period_end": "2020-12-31",
        "expires_on": (date.today() + timedelta(days=days_left)).isoformat(),
    }


def completed(project: uuid.UUID, grant: uuid.UUID, *tables: str) -> dict[str, Any]:
    return {
        "grant_id": str(grant),
        "request_id": None,
        "project_id": str(project),
        "job_id": str(uuid.uuid4()),
        "files": [],
        "key_version": 2,
        "tables": [
            {
                "dataset_id": str(uuid.uuid4()),
                "table": name,
                "bucket": "projects",
                "object_key": f"{project}/grants/{grant}/{uuid.uuid4()}/{name}.parquet",
                "rows": 1200,
                "columns": [
                    {"name": "NIR", "type": "string", "kind": "pseudonym"},
                    {"name": "AGE", "type": "int32", "kind": "none"},
                ],
            }
            for name in tables
        ],
    }


async def open_space(
    engine: AsyncEngine, project: uuid.UUID, members: list[str], *tables: str
) -> uuid.UUID:
    """A space opened by a grant to ``members``, with ``tables`` registered; the grant id."""
    grant = uuid.uuid4()
    await deliver(engine, "hdh.access.grant.issued.v1", issued(project, grant, members))
    await deliver(engine, "hdh.linkage.extract.completed.v1", completed(project, grant, *tables))
    return grant


PERSONS = {("F", 25): 30, ("F", 45): 20, ("M", 25): 25, ("M", 45): 4}


def people() -> pa.Table:
    """Persons by sex and age, each with an amount of 10; one woman in her forties has
    5,000, which dominates her cell's sum."""
    rows = [
        {"NIR": f"{sex}{age}-{i}", "SEX": sex, "AGE": age, "AMOUNT": 10.0}
        for (sex, age), n in PERSONS.items()
        for i in range(n)
    ]
    rows[30]["AMOUNT"] = 5000.0
    return pa.Table.from_pylist(rows)


def one_person(rows: int) -> pa.Table:
    """``rows`` rows of a single person: joined with itself, ``rows**2`` rows."""
    return pa.table({"NIR": ["p"] * rows, "SEX": ["F"] * rows, "AGE": list(range(rows))})


async def register(
    engine: AsyncEngine, objects: Path, project: uuid.UUID, members: list[str], **tables: pa.Table
) -> uuid.UUID:
    """A space opened by a grant to ``members`` with ``tables`` stored and registered."""
    grant = uuid.uuid4()
    store = FilesystemObjectStore(objects)
    await store.ensure_bucket("projects")
    extracted = []
    for name, table in tables.items():
        key = f"{project}/grants/{grant}/{name}.parquet"
        path = objects / "projects" / key
        path.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(table, path)
        kinds = {"NIR": "pseudonym"}
        columns = [
            {"name": f.name, "type": str(f.type), "kind": kinds.get(f.name, "none")}
            for f in table.schema
        ]
        extracted.append(
            {
                "dataset_id": str(uuid.uuid4()),
                "table": name,
                "bucket": "projects",
                "object_key": key,
                "rows": table.num_rows,
                "columns": columns,
            }
        )
    await deliver(engine, "hdh.access.grant.issued.v1", issued(project, grant, members))
    extract = {"grant_id": str(grant), "project_id": str(project), "key_version": 1}
    await deliver(engine, "hdh.linkage.extract.completed.v1", extract | {"tables": extracted})
    return grant
