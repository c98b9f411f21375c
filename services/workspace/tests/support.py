"""What the workspace tests share: the access service's live-rights answer as the workspace
meets it over HTTP, and events fed to the consumers in a transaction of their own."""

import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, cast

from sqlalchemy.ext.asyncio import AsyncEngine

from hdh_common.db import create_sessionmaker
from hdh_common.events import CloudEvent
from workspace.consumers import on_access_event, on_linkage_event
from workspace.state import WorkspaceState


@dataclass
class AccessRights:
    url: str = ""
    refused: set[str] = field(default_factory=set)
    asked: list[tuple[uuid.UUID, str]] = field(default_factory=list)


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
