"""Running a project-data job: the clear file in ``landing`` → the project's prefix in
``projects``, keyed as its extracts are; then the clear file is deleted, whatever happened."""

import asyncio
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
from sqlalchemy.ext.asyncio import AsyncSession

from linkage.db import outbox
from linkage.engine.embedded import EmbeddedEngine
from linkage.events import (
    PROJECT_DATA_FAILED,
    PROJECT_DATA_LOADED,
    ColumnSpec,
    ExtractedColumn,
    ProjectDataFailed,
    ProjectDataLoaded,
)
from linkage.extracts.models import LIVE
from linkage.extracts.repository import GrantRepository
from linkage.extracts.service import PROJECTS
from linkage.jobs.context import JobContext, temporary_folder
from linkage.jobs.execute import finish, outcome_report
from linkage.jobs.models import Job
from linkage.jobs.pipeline import PROJECT_TAG, TAGS, Outcome, PipelineError, read_metadata
from linkage.keys import service as keys
from linkage.project_data.models import FAILED, LOADED, ProjectData
from linkage.project_data.repository import ProjectDataRepository
from linkage.project_data.service import object_key
from linkage.project_data.transform import KEYED, ProjectKeys, load_file, output_name


async def run_project_data(context: JobContext, job: Job) -> None:
    record = await _loadable(context, uuid.UUID(job.params["upload_id"]))
    async with context.sessionmaker.begin() as session:
        central = await keys.active_key(session, context.master, keys.CENTRAL)
        project = await keys.active_key(
            session, context.master, keys.project_domain(record.project_id)
        )
    project_keys = ProjectKeys(
        central={kind: central.hasher(TAGS[kind]) for kind in KEYED},
        project=project.hasher(PROJECT_TAG),
        domain=project.domain,
        version=project.version,
    )
    # a project's own file is small: loaded in this process, whatever engine heavy jobs use
    in_process = EmbeddedEngine(batch_rows=context.engine.batch_rows)
    started = time.perf_counter()
    key = object_key(record.project_id, record.id, record.table_name)
    async with temporary_folder(context.work_dir) as folder:
        source, target = folder / "clear.parquet", folder / "project.parquet"
        await context.download(record.landing_bucket, record.landing_key, source)
        outcome = await asyncio.to_thread(
            load_file,
            source,
            target,
            columns=[ColumnSpec.model_validate(c) for c in record.columns],
            keys=project_keys,
            batch_rows=in_process.batch_rows,
        )
        await context.upload(target, PROJECTS, key)
        columns = _columns(target, record)
    seconds = time.perf_counter() - started
    report = outcome_report(
        outcome, engine=in_process, domain=project.domain, version=project.version, seconds=seconds
    )
    report["outputs"] = [f"{PROJECTS}/{key}"]
    await _delete_clear(context, record)  # before success is recorded: never left behind
    await _loaded(
        context, job, record, outcome, columns=columns, report=report, key=(key, project.version)
    )


async def _loadable(context: JobContext, upload_id: uuid.UUID) -> ProjectData:
    """The file, while its grant is live and its uploader still a member under it."""
    async with context.sessionmaker.begin() as session:
        record = await ProjectDataRepository(session).get(upload_id)
        grant = None if record is None else await GrantRepository(session).get(record.grant_id)
    if record is None:
        raise PipelineError(f"project data {upload_id} was not validated by the catalogue")
    if grant is None or grant.status != LIVE or grant.expires_at <= datetime.now(UTC):
        raise PipelineError("the grant is not live")
    if grant.project_id != record.project_id or record.created_by not in grant.members:
        raise PipelineError("the uploader is not a member of the project under this grant")
    return record


def _columns(path: Path, record: ProjectData) -> list[ExtractedColumn]:
    specs = [ColumnSpec.model_validate(c) for c in record.columns]
    declared = {output_name(c.name, c.identifier): c.identifier.value for c in specs}
    _, pseudonymised = read_metadata(path)
    return [
        ExtractedColumn(
            name=field.name,
            type=str(field.type),
            kind="pseudonym" if field.name in pseudonymised else declared.get(field.name, "none"),
        )
        for field in pq.read_schema(path)
    ]


async def _loaded(
    context: JobContext,
    job: Job,
    record: ProjectData,
    outcome: Outcome,
    *,
    columns: list[ExtractedColumn],
    report: dict[str, Any],
    key: tuple[str, int],
) -> None:
    """Recorded, the job finished and the event published, in one transaction."""
    async with context.sessionmaker.begin() as session:
        stored = await ProjectDataRepository(session).get(record.id)
        assert stored is not None
        stored.status, stored.reason = LOADED, None
        (stored.object_key, stored.key_version), stored.rows = key, outcome.rows_out
        stored.finished_at = datetime.now(UTC)
        await finish(session, job, report=report, rows=outcome.rows_in)
        event = ProjectDataLoaded(
            upload_id=record.id,
            project_id=record.project_id,
            grant_id=record.grant_id,
            job_id=job.id,
            key_version=key[1],
            table=record.table_name,
            bucket=PROJECTS,
            object_key=key[0],
            rows=outcome.rows_out,
            columns=columns,
        )
        await _publish(session, PROJECT_DATA_LOADED, event, actor=job.created_by)


async def project_data_failed(context: JobContext, job: Job, reason: str) -> None:
    async with context.sessionmaker.begin() as session:
        record = await ProjectDataRepository(session).get(uuid.UUID(job.params["upload_id"]))
        if record is None:
            return
        record.status, record.reason = FAILED, reason
        record.finished_at = datetime.now(UTC)
        event = ProjectDataFailed(
            upload_id=record.id,
            project_id=record.project_id,
            grant_id=record.grant_id,
            job_id=job.id,
            reason=reason,
        )
        await _publish(session, PROJECT_DATA_FAILED, event, actor=job.created_by)
    await _delete_clear(context, record)


async def _publish(
    session: AsyncSession,
    type_: str,
    event: ProjectDataLoaded | ProjectDataFailed,
    *,
    actor: str,
) -> None:
    data = event.model_dump(mode="json")
    await outbox.publish(session, type=type_, subject=str(event.project_id), data=data, actor=actor)


async def _delete_clear(context: JobContext, record: ProjectData) -> None:
    await context.store.delete(record.landing_bucket, record.landing_key)
