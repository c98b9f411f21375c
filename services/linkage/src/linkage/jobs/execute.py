"""Running a pseudonymisation job: landing → central, then its event, in one transaction."""

import asyncio
import contextlib
import dataclasses
import functools
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
from sqlalchemy.ext.asyncio import AsyncSession

from hdh_common.storage import ObjectExists, ObjectInfo
from linkage.db import outbox
from linkage.engine import Engine
from linkage.events import (
    PSEUDONYMISED_KINDS,
    VERSION_PSEUDONYMISED,
    ColumnSpec,
    InvalidCounts,
    VersionPseudonymised,
    VersionValidated,
)
from linkage.jobs.context import JobContext, ProgressTracker, temporary_folder
from linkage.jobs.models import SUCCEEDED, Job, PseudonymisedVersion, ValidatedVersion
from linkage.jobs.pipeline import (
    NAME_KEY_TAGS,
    TAGS,
    CentralKey,
    Outcome,
    PipelineError,
)
from linkage.jobs.repository import (
    CentralObjectRepository,
    JobRepository,
    PseudonymisedVersionRepository,
    ValidatedVersionRepository,
)
from linkage.keys import service as keys
from linkage.keys.service import CENTRAL, DomainKeyInUse

CENTRAL_BUCKET = "central"


def central_object_key(payload: VersionValidated) -> str:
    return f"datasets/{payload.dataset_id}/versions/{payload.version_id}/data.parquet"


def outcome_report(
    outcome: Outcome, *, engine: Engine, domain: str, version: int, seconds: float
) -> dict[str, Any]:
    return {
        "engine": engine.name,
        "executors": engine.executors(),
        "rows_in": outcome.rows_in,
        "rows_out": outcome.rows_out,
        "excluded_by_objection": outcome.excluded,
        "key_domain": domain,
        "key_version": version,
        "columns": {n: dataclasses.asdict(c) for n, c in outcome.columns.items()},
        "undeclared_columns": outcome.undeclared,
        "seconds": round(seconds, 3),
        "rows_per_second": round(outcome.rows_in / max(seconds, 1e-6), 1),
    }


def validated_payload(record: ValidatedVersion) -> VersionValidated:
    """The catalogue's event for a version, as recorded when it arrived."""
    return VersionValidated(
        dataset_id=record.dataset_id,
        version_id=record.version_id,
        table=record.table_name,
        bucket=record.bucket,
        object_key=record.object_key,
        columns=[ColumnSpec.model_validate(c) for c in record.columns],
    )


async def run_pseudonymisation(context: JobContext, job: Job) -> None:
    """Pseudonymise the validated version named by the job, into a central key written once."""
    payload = await _validated(context, uuid.UUID(job.params["version_id"]))
    object_key = central_object_key(payload)
    async with context.sessionmaker.begin() as session:
        key = await keys.active_key(session, context.master, CENTRAL)
        owner = await CentralObjectRepository(session).claim(object_key, job.id)
    if owner != job.id:
        raise PipelineError(
            f"central object {object_key} already exists; versions are written once"
        )
    try:
        outcome, info, seconds = await _pseudonymise(context, job, payload, key, object_key)
    except Exception:
        async with context.sessionmaker.begin() as session:
            await CentralObjectRepository(session).release(object_key, job.id)
        raise
    report = outcome_report(
        outcome, engine=context.engine, domain=CENTRAL, version=key.version, seconds=seconds
    )
    report["outputs"] = [f"{CENTRAL_BUCKET}/{object_key}"]
    async with context.sessionmaker.begin() as session:
        await _record(session, job, payload, outcome, info, key_version=key.version)
        await finish(session, job, report=report, rows=outcome.rows_in)


async def _validated(context: JobContext, version_id: uuid.UUID) -> VersionValidated:
    async with context.sessionmaker.begin() as session:
        record = await ValidatedVersionRepository(session).get(version_id)
        done = await PseudonymisedVersionRepository(session).get(version_id)
    if record is None:
        raise PipelineError(f"version {version_id} was not validated by the catalogue")
    if done is not None:
        raise PipelineError(
            f"version {version_id} is already in central; versions are written once"
        )
    return validated_payload(record)


async def _pseudonymise(
    context: JobContext,
    job: Job,
    payload: VersionValidated,
    key: DomainKeyInUse,
    object_key: str,
) -> tuple[Outcome, ObjectInfo, float]:
    central = CentralKey(
        domain=CENTRAL,
        version=key.version,
        hashers={kind: key.hasher(TAGS[kind]) for kind in PSEUDONYMISED_KINDS},
        name_keys={derived: key.hasher(tag) for derived, tag in NAME_KEY_TAGS.items()},
    )
    tracker = ProgressTracker(context, job.id)
    async with temporary_folder(context.work_dir) as folder:
        source, target = folder / "source.parquet", folder / "central.parquet"
        await context.download(payload.bucket, payload.object_key, source)
        await tracker.flush(total=await asyncio.to_thread(_row_count, source))
        started = time.perf_counter()
        watcher = asyncio.create_task(tracker.watch())
        try:
            outcome = await asyncio.to_thread(
                functools.partial(
                    context.engine.pseudonymise,
                    source,
                    target,
                    columns=payload.columns,
                    key=central,
                    progress=tracker,
                    label=str(job.id),
                )
            )
        finally:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher
        seconds = time.perf_counter() - started
        try:
            info = await context.upload_new(target, CENTRAL_BUCKET, object_key)
        except ObjectExists as exc:
            raise PipelineError(
                f"central object {object_key} already exists; versions are written once"
            ) from exc
    return outcome, info, seconds


async def _record(
    session: AsyncSession,
    job: Job,
    payload: VersionValidated,
    outcome: Outcome,
    info: ObjectInfo,
    *,
    key_version: int,
) -> None:
    """The version in ``central``, and its event, in the transaction that ends the job."""
    await PseudonymisedVersionRepository(session).add(
        PseudonymisedVersion(
            version_id=payload.version_id,
            dataset_id=payload.dataset_id,
            table_name=payload.table,
            job_id=job.id,
            object_key=central_object_key(payload),
            columns=[c.model_dump(mode="json") for c in payload.columns],
            key_version=key_version,
            rows=outcome.rows_out,
            sha256=info.sha256 or "",
        )
    )
    event = VersionPseudonymised(
        dataset_id=payload.dataset_id,
        version_id=payload.version_id,
        job_id=job.id,
        object_key=central_object_key(payload),
        key_version=key_version,
        rows=outcome.rows_out,
        sha256=info.sha256 or "",
        invalid=[
            InvalidCounts(column=name, rule=rule, count=n)
            for name, column in outcome.columns.items()
            for rule, n in column.invalid.items()
        ],
    )
    await outbox.publish(
        session,
        type=VERSION_PSEUDONYMISED,
        subject=str(payload.version_id),
        data=event.model_dump(mode="json"),
        actor=job.created_by,
    )


async def finish(session: AsyncSession, job: Job, *, report: dict[str, Any], rows: int) -> None:
    stored = await JobRepository(session).get(job.id)
    assert stored is not None
    stored.state, stored.report, stored.error = SUCCEEDED, report, None
    stored.rows_done, stored.rows_total = rows, max(rows, stored.rows_total)
    stored.finished_at = datetime.now(UTC)
    await session.flush()


def _row_count(path: Path) -> int:
    return int(pq.ParquetFile(path).metadata.num_rows)
