import asyncio
import dataclasses
import io
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
from sqlalchemy.ext.asyncio import AsyncSession

from catalog.config import Settings
from catalog.datasets.models import Dataset
from catalog.db import outbox
from catalog.dictionary.identifiers import of_field
from catalog.dictionary.models import Variable
from catalog.dictionary.repository import DictionaryRepository
from catalog.errors import ChecksumMismatch, IncompleteUpload, UploadClosed
from catalog.events import VERSION_REJECTED, VERSION_VALIDATED, VersionChecked, VersionColumn
from catalog.nomenclatures.repository import NomenclatureRepository
from catalog.uploads import schemas
from catalog.uploads.dialect import SAMPLE_BYTES, Dialect, declared, sniff
from catalog.uploads.fields import FIELD_RULE_KEYS
from catalog.uploads.models import DatasetVersion, Upload, UploadPart
from catalog.uploads.references import ForeignKey, TableKeys, check, referenced_fields
from catalog.uploads.repository import UploadRepository
from catalog.uploads.statistics import mask
from catalog.uploads.streams import ChainedReader, Prefixed, file_chunks
from catalog.uploads.validator import (
    ColumnRule,
    Outcome,
    Report,
    TableRules,
    Validator,
    csv_batches,
    new_workdir,
)
from hdh_common.errors import NotFound, PayloadTooLarge
from hdh_common.identity import Principal
from hdh_common.pagination import Page
from hdh_common.storage import ObjectStore, download

PARQUET_BATCH_ROWS = 65_536


def validated_key(dataset_id: uuid.UUID, table: str, number: int) -> str:
    """Where a validated version waits, still holding its identifiers, for pseudonymisation."""
    return f"validated/{dataset_id}/{table}/v{number:05d}.parquet"


def part_key(upload_id: uuid.UUID, number: int) -> str:
    return f"uploads/{upload_id}/parts/{number:05d}"


async def start(
    session: AsyncSession,
    store: ObjectStore,
    settings: Settings,
    *,
    principal: Principal,
    dataset: Dataset,
    payload: schemas.UploadCreate,
) -> Upload:
    await expire(session, store, settings)
    if await DictionaryRepository(session).table(dataset.id, payload.table) is None:
        raise NotFound(f"No table {payload.table!r} in this dataset.")
    return await open_upload(
        session, store, settings, principal=principal, payload=payload, dataset_id=dataset.id
    )


async def open_upload(
    session: AsyncSession,
    store: ObjectStore,
    settings: Settings,
    *,
    principal: Principal,
    payload: schemas.UploadCreate,
    **target: Any,
) -> Upload:
    """A new open upload of ``payload``'s file, for ``target`` (a dataset or a project)."""
    await store.ensure_bucket(settings.catalog_landing_bucket)
    upload = Upload(
        table_name=payload.table,
        format=payload.format,
        delimiter=payload.delimiter or payload.dialect.delimiter,
        dialect=payload.dialect.model_dump(exclude_none=True)
        | ({"delimiter": payload.delimiter} if payload.delimiter else {}),
        declared_size=payload.size,
        declared_sha256=payload.sha256,
        status="open",
        created_by=principal.subject,
        expires_at=datetime.now(UTC) + timedelta(hours=settings.catalog_upload_ttl_hours),
        **target,
    )
    await UploadRepository(session).add(upload)
    return upload


async def get_open(session: AsyncSession, dataset: Dataset, upload_id: uuid.UUID) -> Upload:
    return still_open(await get(session, dataset, upload_id, lock=True))


def still_open(upload: Upload) -> Upload:
    if upload.status != "open" or upload.expires_at < datetime.now(UTC):
        raise UploadClosed(f"Upload {upload.id} is {upload.status}; start a new one.")
    return upload


async def get(
    session: AsyncSession, dataset: Dataset, upload_id: uuid.UUID, *, lock: bool = False
) -> Upload:
    upload = await UploadRepository(session).get(dataset.id, upload_id, lock=lock)
    if upload is None:
        raise NotFound(f"No upload {upload_id} for this dataset.")
    return upload


async def put_part(
    session: AsyncSession,
    store: ObjectStore,
    settings: Settings,
    *,
    upload: Upload,
    number: int,
    chunks: AsyncIterator[bytes],
    sha256: str,
) -> UploadPart:
    key = part_key(upload.id, number)
    info = await store.put(
        settings.catalog_landing_bucket,
        key,
        _bounded(chunks, settings.catalog_upload_max_part_bytes),
    )
    if info.sha256 != sha256:
        await store.delete(settings.catalog_landing_bucket, key)
        raise ChecksumMismatch(
            f"Part {number} has SHA-256 {info.sha256}, not the declared {sha256}: send it again.",
            received=info.sha256,
        )
    return await UploadRepository(session).save_part(
        upload.id, number, size=info.size, sha256=info.sha256
    )


async def _bounded(chunks: AsyncIterator[bytes], limit: int) -> AsyncIterator[bytes]:
    size = 0
    async for chunk in chunks:
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"A part holds at most {limit} bytes.")
        yield chunk


async def parts_page(
    session: AsyncSession, upload: Upload, *, cursor: str | None, limit: int
) -> Page[schemas.Part]:
    rows = await UploadRepository(session).part_page(upload.id, cursor=cursor, limit=limit)
    return Page.from_rows(
        rows, limit, key=lambda p: (p.number,), convert=schemas.Part.model_validate
    )


async def abort(
    session: AsyncSession, store: ObjectStore, settings: Settings, upload: Upload
) -> None:
    await discard(session, store, settings, upload, status="aborted")


async def expire(session: AsyncSession, store: ObjectStore, settings: Settings) -> int:
    """Purge uploads whose time ran out: their parts leave the landing bucket."""
    expired = await UploadRepository(session).expired(datetime.now(UTC))
    for upload in expired:
        await discard(session, store, settings, upload, status="expired")
    return len(expired)


async def discard(
    session: AsyncSession, store: ObjectStore, settings: Settings, upload: Upload, *, status: str
) -> None:
    """The upload's parts leave the landing bucket; it ends with ``status``."""
    repository = UploadRepository(session)
    for part in await repository.parts(upload.id):
        await store.delete(settings.catalog_landing_bucket, part_key(upload.id, part.number))
    await repository.drop_parts(upload.id)
    upload.status = status
    await session.flush()


async def complete(
    session: AsyncSession,
    store: ObjectStore,
    settings: Settings,
    *,
    principal: Principal,
    dataset: Dataset,
    upload: Upload,
) -> DatasetVersion:
    keys = await received_keys(session, upload)
    rules = await _rules(session, dataset.id, upload.table_name)
    foreign = await _foreign_keys(session, dataset.id, upload.table_name)
    with new_workdir(settings.work_dir) as workdir:
        referenced = await _referenced(
            session, store, settings, dataset, upload=upload, foreign=foreign, workdir=Path(workdir)
        )
        outcome, size, digest = await checked(
            store, settings, upload, rules, keys, Path(workdir), references=(foreign, referenced)
        )
        version = await _record(
            session,
            store,
            settings,
            principal=principal,
            dataset=dataset,
            upload=upload,
            outcome=outcome,
            source=(size, digest),
        )
    await discard(session, store, settings, upload, status="completed")
    await _publish(
        session,
        principal,
        version,
        rules.identifiers | outcome.identifiers,
        columns=[c.name for c in rules.columns],
        bucket=settings.catalog_landing_bucket,
    )
    return version


async def received_keys(session: AsyncSession, upload: Upload) -> list[str]:
    """The keys of the upload's parts, once they are all there: 1..n, the declared size."""
    received = await UploadRepository(session).parts(upload.id)
    numbers = [p.number for p in received]
    if not numbers or numbers != list(range(1, len(numbers) + 1)):
        raise IncompleteUpload(f"Parts must be numbered 1..n without gaps; received {numbers}.")
    if sum(p.size for p in received) != upload.declared_size:
        raise IncompleteUpload(
            f"The parts hold {sum(p.size for p in received)} bytes, not the declared "
            f"{upload.declared_size}."
        )
    return [part_key(upload.id, n) for n in numbers]


async def _rules(session: AsyncSession, dataset_id: uuid.UUID, table: str) -> TableRules:
    repository = DictionaryRepository(session)
    found = await repository.table(dataset_id, table)
    if found is None:
        raise NotFound(f"No table {table!r} in this dataset.")
    variables = await repository.variables([found.id])
    names = sorted({v.nomenclature.split(":")[0] for v in variables if v.nomenclature})
    codes = await NomenclatureRepository(session).code_sets(names)
    columns = tuple(_column_rule(v, codes) for v in variables)
    # The stored flag is read as a declaration: it may raise what the name rules infer, never
    # lower it (a variable imported before these rules were enforced included).
    kinds = {
        v.name: of_field(v.name, v.identifier, v.extra.get("identifierKind")) for v in variables
    }
    identifiers = {name: kind for name, kind in kinds.items() if kind != "none"}
    return TableRules(
        columns=columns, primary_key=tuple(found.primary_key), identifiers=identifiers
    )


async def _foreign_keys(
    session: AsyncSession, dataset_id: uuid.UUID, table: str
) -> tuple[ForeignKey, ...]:
    repository = DictionaryRepository(session)
    found = await repository.table(dataset_id, table)
    assert found is not None  # _rules found it
    return tuple(
        ForeignKey(tuple(fk.fields), fk.reference_table, tuple(fk.reference_fields))
        for fk in await repository.foreign_keys([found.id])
    )


async def _referenced(
    session: AsyncSession,
    store: ObjectStore,
    settings: Settings,
    dataset: Dataset,
    *,
    upload: Upload,
    foreign: tuple[ForeignKey, ...],
    workdir: Path,
) -> dict[str, Path]:
    """The Parquet of the latest validated version of each other table that the foreign keys
    reference, downloaded: the version the upload's rows are checked against."""
    repository = UploadRepository(session)
    found = {}
    targets = sorted({fk.target(upload.table_name) for fk in foreign} - {upload.table_name})
    for index, target in enumerate(targets):
        version = await repository.latest_validated(dataset.id, target)
        if version is not None and version.object_key is not None:
            path = found[target] = workdir / f"referenced-{index}.parquet"
            await download(store, settings.catalog_landing_bucket, version.object_key, path)
    return found


def _column_rule(variable: Variable, codes: dict[str, frozenset[str]]) -> ColumnRule:
    """The rule of a variable: its type, format and what the import kept of its Table Schema
    field (constraints, missing values, true and false values, number marks)."""
    descriptor: dict[str, Any] = {
        "name": variable.name,
        "type": variable.type,
        "format": variable.format,
    }
    descriptor |= {k: variable.extra[k] for k in FIELD_RULE_KEYS if k in variable.extra}
    constraints: dict[str, Any] = dict(descriptor.get("constraints") or {})
    constraints["required"] = variable.required or bool(constraints.get("required"))
    nomenclature = (variable.nomenclature or "").split(":")[0]
    return ColumnRule.from_descriptor(
        descriptor | {"constraints": constraints},
        # a date's nomenclature is a calendar (IR_DTE_V), not a list of codes to check
        codes=None if variable.type in ("date", "datetime") else codes.get(nomenclature),
    )


async def checked(
    store: ObjectStore,
    settings: Settings,
    upload: Upload,
    rules: TableRules,
    keys: list[str],
    workdir: Path,
    *,
    references: tuple[tuple[ForeignKey, ...], dict[str, Path]] = ((), {}),
) -> tuple[Outcome, int, str]:
    """The parts validated against ``rules``, and the whole file's size and SHA-256: a file
    that is not the one declared has no Parquet."""
    loop = asyncio.get_running_loop()
    foreign, referenced = references
    own = TableKeys(
        upload.table_name,
        workdir / "foreign-keys",
        outgoing=foreign,
        referenced=referenced_fields({upload.table_name: foreign})[upload.table_name],
    )
    reader = ChainedReader(
        lambda key: store.get(settings.catalog_landing_bucket, key), keys, loop=loop
    )
    source = io.BufferedReader(reader, buffer_size=1024 * 1024)

    def validator(rules: TableRules) -> Validator:
        return Validator(
            rules,
            workdir=workdir,
            max_errors=settings.catalog_report_max_errors,
            per_rule=settings.catalog_report_errors_per_rule,
            small_cell=settings.catalog_small_cell_threshold,
            collect=own.add if foreign else None,
        )

    def run() -> Outcome:
        if upload.format == "parquet":
            local = workdir / "source.parquet"
            with local.open("wb") as file:
                while chunk := source.read(1024 * 1024):
                    file.write(chunk)
            batches = pq.ParquetFile(local).iter_batches(batch_size=PARQUET_BATCH_ROWS)
            return validator(rules).run(batches)
        sample = source.read(SAMPLE_BYTES)
        dialect, given = _dialect(upload, rules, sample)
        checker = validator(_with_decimal(rules, dialect.decimal_char))
        checker.report.dialect = dialect.described() | {
            "detected": sorted(k for k in dialect.described() if k not in given)
        }
        batches = csv_batches(
            io.BufferedReader(Prefixed(sample, source), buffer_size=1024 * 1024),
            dialect=dialect,
            report=checker.report,
            columns=[c.name for c in rules.columns],
            rules=checker.rules,
        )
        outcome = checker.run(batches)
        while source.read(1024 * 1024):
            pass
        return outcome

    def run_and_look_up() -> Outcome:
        try:
            outcome = run()
        finally:
            own.close()
        _check_references(own, referenced, outcome, workdir)
        return outcome

    outcome = await asyncio.to_thread(run_and_look_up)
    digest = reader.sha256.hexdigest()
    if digest != upload.declared_sha256:
        outcome.report.add("checksum-error", "checksum", row=None, column=None, value=digest)
        outcome.parquet = None
    return outcome, reader.size, digest


def _check_references(
    own: TableKeys, referenced: dict[str, Path], outcome: Outcome, workdir: Path
) -> None:
    """The table's foreign keys looked up in its own keys and in the referenced versions'."""
    if not own.outgoing:
        return
    needed = referenced_fields({own.name: tuple(own.outgoing)})
    tables = {own.name: own}
    for index, (name, path) in enumerate(referenced.items()):
        names = set(pq.read_schema(path).names)
        fields = [f for f in needed[name] if set(f) <= names]
        tables[name] = TableKeys(name, workdir / f"keys-of-{index}", referenced=fields)
        tables[name].add_parquet(path)
        tables[name].close()
    check(tables, {own.name: outcome.report})
    if not outcome.report.ok:
        outcome.parquet = None


def _dialect(upload: Upload, rules: TableRules, sample: bytes) -> tuple[Dialect, set[str]]:
    """The dialect to read with, and the Frictionless names of its declared attributes."""
    described = dict(upload.dialect or {})
    if upload.delimiter:
        described.setdefault("delimiter", upload.delimiter)
    dialect = sniff(
        sample,
        names=[c.name for c in rules.columns],
        numbers={c.name for c in rules.columns if c.type == "number"},
        given=declared(described),
    )
    return dialect, set(described)


def _with_decimal(rules: TableRules, mark: str) -> TableRules:
    """Numbers of a file written with a decimal comma read with it (unless a field says)."""
    if mark == ".":
        return rules
    columns = tuple(
        dataclasses.replace(c, decimal_char=mark)
        if c.type == "number" and c.decimal_char == "."
        else c
        for c in rules.columns
    )
    return dataclasses.replace(rules, columns=columns)


async def _record(
    session: AsyncSession,
    store: ObjectStore,
    settings: Settings,
    *,
    principal: Principal,
    dataset: Dataset,
    upload: Upload,
    outcome: Outcome,
    source: tuple[int, str],
) -> DatasetVersion:
    repository = UploadRepository(session)
    number = await repository.next_version(dataset.id, upload.table_name)
    version = DatasetVersion(
        dataset_id=dataset.id,
        table_name=upload.table_name,
        number=number,
        status="validated" if outcome.parquet is not None else "rejected",
        upload_id=upload.id,
        source_size=source[0],
        source_sha256=source[1],
        row_count=outcome.report.rows,
        report=report_of(outcome.report),
        statistics=outcome.statistics,
        created_by=principal.subject,
    )
    if outcome.parquet is not None:
        key = validated_key(dataset.id, upload.table_name, number)
        info = await store.put(
            settings.catalog_landing_bucket,
            key,
            file_chunks(str(outcome.parquet)),
            content_type="application/vnd.apache.parquet",
        )
        version.object_key, version.object_sha256, version.object_size = key, info.sha256, info.size
    try:
        await repository.add(version)
    except BaseException:
        if version.object_key:
            await store.delete(settings.catalog_landing_bucket, version.object_key)
        raise
    return version


def report_of(report: Report) -> dict[str, Any]:
    return {
        "rows": report.rows,
        "error_count": sum(report.counts.values()),
        "counts": dict(report.counts),
        "errors": report.errors,
        "omitted": report.omitted,
        "dialect": report.dialect,
        "notices": report.notices,
    }


async def _publish(
    session: AsyncSession,
    principal: Principal,
    version: DatasetVersion,
    identifiers: dict[str, str],
    *,
    columns: list[str],
    bucket: str,
) -> None:
    validated = version.status == "validated"
    event = VersionChecked(
        version_id=version.id,
        dataset_id=version.dataset_id,
        table=version.table_name,
        number=version.number,
        row_count=version.row_count,
        bucket=bucket if validated else None,
        object_key=version.object_key,
        sha256=version.object_sha256,
        columns=[
            VersionColumn(name=name, identifier=identifiers.get(name, "none")) for name in columns
        ],
        error_count=int(version.report["error_count"]),
        outcome=None if validated else "failure",
    )
    await outbox.publish(
        session,
        type=VERSION_VALIDATED if validated else VERSION_REJECTED,
        subject=str(version.dataset_id),
        data=event.model_dump(mode="json"),
        actor=principal.subject,
    )


async def versions_page(
    session: AsyncSession, dataset: Dataset, *, cursor: str | None, limit: int
) -> Page[schemas.Version]:
    rows = await UploadRepository(session).versions(dataset.id, cursor=cursor, limit=limit)
    return Page.from_rows(
        rows, limit, key=lambda v: (v.created_at, v.id), convert=schemas.Version.model_validate
    )


async def version(session: AsyncSession, dataset: Dataset, version_id: uuid.UUID) -> DatasetVersion:
    found = await UploadRepository(session).version(dataset.id, version_id)
    if found is None:
        raise NotFound(f"No version {version_id} of this dataset.")
    return found


def report(found: DatasetVersion) -> schemas.ValidationReport:
    return schemas.ValidationReport(version=found.number, status=found.status, **found.report)


def statistics(found: DatasetVersion, threshold: int) -> dict[str, schemas.ColumnStatistics]:
    return {name: mask(values, threshold) for name, values in found.statistics.items()}
