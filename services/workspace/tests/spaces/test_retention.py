"""A closed space's own files go once the retention period is over, not before, and once."""

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from hdh_common.db import create_sessionmaker
from hdh_common.storage import FilesystemObjectStore
from hdh_dev.testing import SettingsFactory
from workspace.spaces.retention import purge_due

from ..support import deliver, open_space


async def closed_space(engine: AsyncEngine, objects: Path, files: Path) -> uuid.UUID:
    """A closed space with an analysis result in the store and a local copy on disk."""
    project = uuid.uuid4()
    await open_space(engine, project, ["alice"], "PEOPLE")
    store = FilesystemObjectStore(objects)
    await store.ensure_bucket("projects")
    for key in (f"{project}/analyses/{uuid.uuid4()}/R.parquet", f"{project}/grants/g/P.parquet"):
        await store.put("projects", key, _chunks(b"PAR1"))
    (files / str(project)).mkdir(parents=True)
    (files / str(project) / "copy.parquet").write_bytes(b"PAR1")
    await deliver(engine, "hdh.access.project.closed.v1", {"project_id": str(project)})
    return project


async def _chunks(data: bytes) -> Any:
    yield data


async def test_a_closed_space_is_purged_after_its_retention_period(
    workspace_settings: SettingsFactory, engine: AsyncEngine, tmp_path: Path
) -> None:
    objects, files = tmp_path / "objects", tmp_path / "files"
    project = await closed_space(engine, objects, files)
    store = FilesystemObjectStore(objects)
    keeping = workspace_settings(workspace_files_path=files, workspace_retention_days=30)
    at_once = workspace_settings(workspace_files_path=files, workspace_retention_days=0)
    sessionmaker = create_sessionmaker(engine)

    assert await purge_due(sessionmaker, store, keeping) == 0
    assert len(await store.list("projects", f"{project}/")) == 2
    assert await purge_due(sessionmaker, store, at_once) == 1
    assert await purge_due(sessionmaker, store, at_once) == 0  # once

    left = [info.key for info in await store.list("projects", f"{project}/")]
    assert left == [f"{project}/grants/g/P.parquet"]  # the extract is linkage's to remove
    assert not (files / str(project)).exists()
    async with engine.connect() as connection:
        event = (
            await connection.execute(
                sa.text(
                    "SELECT payload->'data' FROM workspace.outbox"
                    " WHERE payload->>'type' = 'hdh.workspace.space.purged.v1'"
                )
            )
        ).scalar_one()
        purged_at = (
            await connection.execute(
                sa.text(f"SELECT purged_at FROM workspace.space WHERE project_id = '{project}'")
            )
        ).scalar_one()
    assert event["objects_removed"] == 1
    assert datetime.now(UTC) - purged_at < timedelta(minutes=1)
