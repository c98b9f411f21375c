"""Running an extract job: central → the project's prefix, only the granted variables."""

import asyncio
import contextlib
import functools
import time
import uuid
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from linkage.db import outbox
from linkage.events import (
    EXTRACT_COMPLETED,
    EXTRACT_FAILED,
    ExtractCompleted,
    ExtractedColumn,
    ExtractedTable,
    ExtractFailed,
    GrantedDataset,
    Identifier,
)
from linkage.extracts.models import LIVE, ExtractFile, Grant
from linkage.extracts.repository import ExtractFileRepository, GrantRepository
from linkage.extracts.service import PROJECTS, object_key
from linkage.jobs.context import JobContext, ProgressTracker, temporary_folder
from linkage.jobs.execute import CENTRAL_BUCKET, finish, outcome_report, validated_payload
from linkage.jobs.models import Job, PseudonymisedVersion
from linkage.jobs.pipeline import (
    PROJECT_TAG,
    CentralKey,
    Outcome,
    Period,
    PipelineError,
    read_metadata,
)
from linkage.jobs.repository import PseudonymisedVersionRepository, ValidatedVersionRepository
from linkage.keys import service as keys
from linkage.keys.service import DomainKeyInUse
from linkage.objections.repository import ObjectionRepository
from linkage.requested import service as requested


async def _grant(context: JobContext, job: Job) -> Grant:
    async with context.sessionmaker.begin() as session:
        grant = await GrantRepository(session).get(uuid.UUID(job.params["grant_id"]))
    if grant is None or grant.status != LIVE:
        raise PipelineError("the grant is not live")
    return grant


def _period(grant: Grant, columns: list[str]) -> Period | None:
    """The grant's period on a table's event dates; none for a table granted whole."""
    if grant.period_start is None or grant.period_end is None or not columns:
        return None
    return Period(start=grant.period_start, end=grant.period_end, columns=tuple(columns))


async def run_extract(context: JobContext, job: Job) -> None:
    grant = await _grant(context, job)
    async with context.sessionmaker.begin() as session:
        key = await keys.active_key(session, context.master, keys.project_domain(grant.project_id))
    tracker = ProgressTracker(context, job.id)
    started = time.perf_counter()
    files: list[ExtractFile] = []
    tables: list[ExtractedTable] = []
    total = Outcome()
    watcher = asyncio.create_task(tracker.watch())
    try:
        for granted in grant.datasets:
            dataset = GrantedDataset.model_validate(granted)
            for table, variables in dataset.tables().items():
                period = _period(grant, dataset.event_dates.get(table, []))
                built, described, outcome = await _one_table(
                    context, grant, dataset.dataset_id, table, variables, key, tracker, period
                )
                files.append(built)
                tables.append(described)
                total.rows_in += outcome.rows_in
                total.rows_out += outcome.rows_out
                total.excluded += outcome.excluded
                total.outside_period += outcome.outside_period
    finally:
        watcher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watcher
    report = outcome_report(
        total,
        engine=context.engine,
        domain=key.domain,
        version=key.version,
        seconds=time.perf_counter() - started,
    )
    links = await requested.run(context, grant, tables, domain=key.domain, key_version=key.version)
    report["outputs"] = [f"{PROJECTS}/{f.object_key}" for f in files]
    report["outputs"] += [f"{PROJECTS}/{b.table.object_key}" for b in links]
    report["outside_period"] = total.outside_period
    report["linkage"] = requested.report_of(links)
    await _complete(
        context, job, grant, files, links, tables=tables, report=report, key_version=key.version
    )


async def _one_table(
    context: JobContext,
    grant: Grant,
    dataset_id: uuid.UUID,
    table: str,
    variables: list[str],
    key: DomainKeyInUse,
    tracker: ProgressTracker,
    period: Period | None,
) -> tuple[ExtractFile, ExtractedTable, Outcome]:
    version, declared = await _validated_version(context, dataset_id, table)
    project = CentralKey(
        domain=key.domain, version=key.version, hashers={Identifier.NONE: key.hasher(PROJECT_TAG)}
    )
    async with temporary_folder(context.work_dir) as folder:
        source, target = folder / "central.parquet", folder / "extract.parquet"
        await context.download(CENTRAL_BUCKET, version.object_key, source)
        async with context.sessionmaker.begin() as session:
            objectors = await ObjectionRepository(session).pseudonyms(version.key_version)
        outcome = await asyncio.to_thread(
            functools.partial(
                context.engine.extract,
                source,
                target,
                table=table,
                variables=variables,
                declared=declared,
                project=project,
                progress=tracker,
                label=str(tracker.job_id),
                excluded_persons=pa.array(objectors, pa.string()),
                period=period,
            )
        )
        key_name = object_key(grant.project_id, grant.id, dataset_id, table)
        info = await context.upload(target, PROJECTS, key_name)
        columns = _columns(target, declared)
    built = ExtractFile(
        grant_id=grant.id,
        project_id=grant.project_id,
        dataset_id=dataset_id,
        table_name=table,
        version_id=version.version_id,
        object_key=key_name,
        columns=[c.name for c in columns],
        rows=outcome.rows_out,
        size=info.size,
        key_version=key.version,
        sha256=info.sha256 or "",
    )
    described = ExtractedTable(
        dataset_id=dataset_id,
        table=table,
        bucket=PROJECTS,
        object_key=key_name,
        rows=outcome.rows_out,
        columns=columns,
    )
    return built, described, outcome


async def _validated_version(
    context: JobContext, dataset_id: uuid.UUID, table: str
) -> tuple[PseudonymisedVersion, dict[str, Identifier]]:
    """The table's central version, and its columns as the catalogue validated them."""
    async with context.sessionmaker.begin() as session:
        version = await PseudonymisedVersionRepository(session).latest_for(dataset_id, table)
        if version is None:
            raise PipelineError(
                f"table {table} of dataset {dataset_id} has no pseudonymised version"
            )
        validated = await ValidatedVersionRepository(session).get(version.version_id)
    if validated is None:
        raise PipelineError(
            f"table {table}: its version has no record of the catalogue's validation"
        )
    return version, {c.name: c.identifier for c in validated_payload(validated).columns}


def _columns(path: Path, declared: dict[str, Identifier]) -> list[ExtractedColumn]:
    """The file's columns, their types, and their kinds: the re-keyed ones are pseudonyms."""
    schema = pq.read_schema(path)
    _, pseudonymised = read_metadata(path)
    return [
        ExtractedColumn(
            name=field.name,
            type=str(field.type),
            kind="pseudonym"
            if field.name in pseudonymised
            else declared.get(field.name, Identifier.NONE).value,
        )
        for field in schema
    ]


async def _complete(
    context: JobContext,
    job: Job,
    grant: Grant,
    files: list[ExtractFile],
    links: list[requested.Built],
    *,
    tables: list[ExtractedTable],
    report: dict[str, Any],
    key_version: int,
) -> None:
    async with context.sessionmaker.begin() as session:
        repository = ExtractFileRepository(session)
        await repository.remove_for_grant(grant.id)
        for built in files:
            await repository.add(built)
        await requested.replace(session, grant.id, links)
        await finish(session, job, report=report, rows=report["rows_in"])
        event = ExtractCompleted(
            grant_id=grant.id,
            request_id=grant.request_id,
            project_id=grant.project_id,
            job_id=job.id,
            files=[f.id for f in files],
            key_version=key_version,
            tables=[*tables, *(b.described for b in links)],
        )
        await outbox.publish(
            session,
            type=EXTRACT_COMPLETED,
            subject=str(grant.id),
            data=event.model_dump(mode="json"),
            actor=job.created_by,
        )


async def extract_failed(context: JobContext, job: Job, reason: str) -> None:
    event = ExtractFailed(
        grant_id=uuid.UUID(job.params["grant_id"]),
        request_id=job.params.get("request_id"),
        project_id=uuid.UUID(job.params["project_id"]),
        job_id=job.id,
        reason=reason,
    )
    async with context.sessionmaker.begin() as session:
        await outbox.publish(
            session,
            type=EXTRACT_FAILED,
            subject=str(event.grant_id),
            data=event.model_dump(mode="json"),
            actor=job.created_by,
        )
