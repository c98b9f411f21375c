import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from catalog.curation import service as curation
from catalog.datasets.models import Dataset
from catalog.datasets.schemas import holds_nul
from catalog.db import outbox
from catalog.dictionary.models import DatasetTable
from catalog.dictionary.repository import DictionaryRepository
from catalog.errors import InvalidTableSchema
from catalog.events import (
    DICTIONARY_UPDATED,
    TABLE_PUBLISHED,
    DictionaryUpdated,
    PublishedVariable,
    TablePublished,
)
from catalog.imports import schemas
from catalog.imports.frictionless import PackageSpec, TableSpec, read_document
from catalog.nomenclatures import service as nomenclatures
from catalog.search.indexer import reindex_dataset
from hdh_common.errors import Forbidden
from hdh_common.identity import Principal, Role


@dataclass
class _Current:
    rows: dict[str, DatasetTable] = field(default_factory=dict)
    shapes: dict[str, dict[str, Any]] = field(default_factory=dict)


async def import_document(
    session: AsyncSession,
    principal: Principal,
    *,
    dataset: Dataset | None,
    document: dict[str, Any],
) -> schemas.ImportReport:
    if holds_nul(document):
        raise InvalidTableSchema("Text may not hold a NUL character (\\x00).")
    package = read_document(document)
    if package.nomenclatures and Role.HUB_STAFF not in principal.roles:
        raise Forbidden("Only hub staff import nomenclatures.")
    if package.tables and dataset is None:
        raise InvalidTableSchema("Tables are imported into a dataset: pass dataset_id.")
    current = await _current(session, dataset.id) if dataset else _Current()
    _check_references(package, current)
    if package.errors:
        raise InvalidTableSchema("The document is not a valid import.", errors=package.errors)
    report = _diff(package, current)
    if dataset is not None and report.changed:
        await _apply(session, dataset, package, current, report)
        await curation.record(session, principal, dataset, "dictionary imported")
        await _publish(session, principal, dataset, report)
        await _publish_tables(session, principal, dataset, package, report)
    report.nomenclatures = await nomenclatures.apply(session, principal, package.nomenclatures)
    report.dataset_id = dataset.id if dataset else None
    report.revision = dataset.revision if dataset else None
    return report


async def _current(session: AsyncSession, dataset_id: uuid.UUID) -> _Current:
    repository = DictionaryRepository(session)
    tables = [table for table, _ in await repository.tables(dataset_id)]
    current = _Current(rows={t.name: t for t in tables})
    ids = [t.id for t in tables]
    by_table: dict[uuid.UUID, list[dict[str, Any]]] = {t.id: [] for t in tables}
    for variable in await repository.variables(ids):
        by_table[variable.table_id].append(_variable_shape(variable))
    keys: dict[uuid.UUID, list[dict[str, Any]]] = {t.id: [] for t in tables}
    for fk in await repository.foreign_keys(ids):
        keys[fk.table_id].append(
            {
                "fields": fk.fields,
                "reference_table": fk.reference_table,
                "reference_fields": fk.reference_fields,
            }
        )
    for table in tables:
        current.shapes[table.name] = {
            "title": table.title,
            "description": table.description,
            "product": table.product,
            "primary_key": table.primary_key,
            "event_dates": table.event_dates,
            "foreign_keys": keys[table.id],
            "order_rules": table.order_rules,
            "fields": by_table[table.id],
        }
    return current


_VARIABLE_KEYS = (
    "name",
    "label",
    "description",
    "type",
    "format",
    "length",
    "unit",
    "required",
    "nomenclature",
    "identifier",
    "sensitivity",
    "created_year",
    "deleted_year",
    "extra",
)


def _variable_shape(variable: object) -> dict[str, Any]:
    return {key: getattr(variable, key) for key in _VARIABLE_KEYS}


def _shape(table: TableSpec) -> dict[str, Any]:
    return table.header() | {"fields": [f.as_dict() for f in table.fields]}


def _check_references(package: PackageSpec, current: _Current) -> None:
    """A foreign key names a table of the package or the dataset, and fields it holds."""
    fields = {name: {f["name"] for f in shape["fields"]} for name, shape in current.shapes.items()}
    fields |= {t.name: {f.name for f in t.fields} for t in package.tables}
    for table in package.tables:
        for fk in table.foreign_keys:
            target = fields.get(fk.reference_table)
            missing = [n for n in fk.reference_fields if target is not None and n not in target]
            if target is None:
                message = f"{fk.reference_table!r} is neither in the package nor the dataset."
            elif missing:
                message = f"{', '.join(missing)} not a field of {fk.reference_table!r}."
            else:
                continue
            package.errors.append({"loc": f"{table.name}.foreignKeys", "msg": message})


def _diff(package: PackageSpec, current: _Current) -> schemas.ImportReport:
    tables, variables = schemas.ChangeSet(), schemas.ChangeSet()
    breaking: list[schemas.BreakingChange] = []
    for table in package.tables:
        before = current.shapes.get(table.name)
        after = _shape(table)
        if before is None:
            tables.added.append(table.name)
            variables.added += [f"{table.name}.{f.name}" for f in table.fields]
        elif before == after:
            tables.unchanged += 1
        else:
            tables.changed.append(table.name)
            breaking += _diff_variables(table.name, before["fields"], after["fields"], variables)
    if package.whole:
        incoming = {t.name for t in package.tables}
        for name in sorted(set(current.rows) - incoming):
            tables.removed.append(name)
            for old in current.shapes[name]["fields"]:
                variables.removed.append(f"{name}.{old['name']}")
                breaking.append(
                    schemas.BreakingChange(table=name, variable=old["name"], change="removed")
                )
    return schemas.ImportReport(
        dataset_id=None,
        changed=bool(tables.added or tables.changed or tables.removed),
        revision=None,
        tables=tables,
        variables=variables,
        breaking=breaking,
        nomenclatures=[],
        counts=_counts(package),
    )


def _diff_variables(
    table: str,
    before: list[dict[str, Any]],
    after: list[dict[str, Any]],
    changes: schemas.ChangeSet,
) -> list[schemas.BreakingChange]:
    old = {v["name"]: v for v in before}
    new = {v["name"]: v for v in after}
    breaking = []
    for name in new.keys() - old.keys():
        changes.added.append(f"{table}.{name}")
    for name in old.keys() - new.keys():
        changes.removed.append(f"{table}.{name}")
        breaking.append(schemas.BreakingChange(table=table, variable=name, change="removed"))
    for name in old.keys() & new.keys():
        if old[name] != new[name]:
            changes.changed.append(f"{table}.{name}")
        if old[name]["type"] != new[name]["type"]:
            breaking.append(
                schemas.BreakingChange(
                    table=table,
                    variable=name,
                    change="retyped",
                    before=old[name]["type"],
                    after=new[name]["type"],
                )
            )
    return breaking


def _counts(package: PackageSpec) -> schemas.ImportCounts:
    fields = [f for t in package.tables for f in t.fields]
    return schemas.ImportCounts(
        tables=len(package.tables),
        variables=len(fields),
        primary_keys=sum(1 for t in package.tables if t.primary_key),
        foreign_keys=sum(len(t.foreign_keys) for t in package.tables),
        nomenclature_references=sum(1 for f in fields if f.nomenclature),
        nomenclatures=len(package.nomenclatures),
    )


async def _apply(
    session: AsyncSession,
    dataset: Dataset,
    package: PackageSpec,
    current: _Current,
    report: schemas.ImportReport,
) -> None:
    repository = DictionaryRepository(session)
    stale = [current.rows[n].id for n in report.tables.changed + report.tables.removed]
    await repository.delete_tables(stale)
    rewrite = set(report.tables.added) | set(report.tables.changed)
    base = 0 if package.whole else len(current.rows)
    rows: tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]] = ([], [], [])
    for position, table in enumerate(package.tables):
        if table.name in rewrite:
            old = current.rows.get(table.name)
            _rows(dataset.id, table, old.position if old else base + position, rows)
    await repository.add_tables(*rows)
    dataset.revision += 1
    await session.flush()
    await reindex_dataset(session, dataset.id)


def _rows(
    dataset_id: uuid.UUID,
    table: TableSpec,
    position: int,
    rows: tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]],
) -> None:
    table_id = uuid.uuid4()
    header = table.header()
    del header["foreign_keys"]
    rows[0].append(
        {"id": table_id, "dataset_id": dataset_id, "name": table.name, "position": position}
        | header
    )
    rows[1].extend(
        {"id": uuid.uuid4(), "table_id": table_id, "position": i} | f.as_dict()
        for i, f in enumerate(table.fields)
    )
    rows[2].extend(
        {"id": uuid.uuid4(), "table_id": table_id, "position": i} | fk.as_dict()
        for i, fk in enumerate(table.foreign_keys)
    )


async def _publish(
    session: AsyncSession, principal: Principal, dataset: Dataset, report: schemas.ImportReport
) -> None:
    event = DictionaryUpdated(
        dataset_id=dataset.id,
        revision=dataset.revision,
        tables_added=report.tables.added,
        tables_removed=report.tables.removed,
        tables_changed=report.tables.changed,
        breaking=bool(report.breaking),
    )
    await outbox.publish(
        session,
        type=DICTIONARY_UPDATED,
        subject=str(dataset.id),
        data=event.model_dump(mode="json"),
        actor=principal.subject,
    )


async def _publish_tables(
    session: AsyncSession,
    principal: Principal,
    dataset: Dataset,
    package: PackageSpec,
    report: schemas.ImportReport,
) -> None:
    """One snapshot per added, changed or removed table: its whole list of variables (empty
    once removed), so a consumer can replace what it knew of the table."""
    tables = {t.name: t for t in package.tables}
    for name in report.tables.added + report.tables.changed + report.tables.removed:
        table = tables.get(name)
        dates = table.event_dates if table else ()
        event = TablePublished(
            dataset_id=dataset.id,
            table=name,
            revision=dataset.revision,
            variables=[
                PublishedVariable(
                    name=f.name,
                    type=f.type,
                    identifier=f.identifier,
                    event_date=f.name in dates,
                )
                for f in (table.fields if table and name not in report.tables.removed else ())
            ],
        )
        await outbox.publish(
            session,
            type=TABLE_PUBLISHED,
            subject=str(dataset.id),
            data=event.model_dump(mode="json"),
            actor=principal.subject,
        )
