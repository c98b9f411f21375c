"""Curation: edits, publication and deprecation, each recorded as a revision with a snapshot."""

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from catalog.curation import schemas
from catalog.curation.repository import RevisionRepository
from catalog.datasets import schemas as dataset_schemas
from catalog.datasets.models import Dataset, DatasetRevision
from catalog.db import outbox
from catalog.dictionary.repository import DictionaryRepository
from catalog.events import DATASET_UPDATED, DatasetUpdated
from catalog.imports.schemas import BreakingChange, ChangeSet
from catalog.search.indexer import reindex_dataset
from hdh_common.errors import Conflict, NotFound
from hdh_common.identity import Principal
from hdh_common.pagination import Page

_TRANSITIONS = {"publish": ("draft", "published"), "deprecate": ("published", "deprecated")}
_UNVERSIONED = {"id", "revision", "created_at"}


async def record(session: AsyncSession, principal: Principal, dataset: Dataset, note: str) -> None:
    """Snapshot the dataset (metadata and dictionary) as its current revision."""
    snapshot = {"metadata": _metadata(dataset), "dictionary": await _dictionary(session, dataset)}
    await RevisionRepository(session).add(
        DatasetRevision(
            dataset_id=dataset.id,
            revision=dataset.revision,
            snapshot=snapshot,
            changed_by=principal.subject,
            note=note,
        )
    )


async def update(
    session: AsyncSession, principal: Principal, dataset: Dataset, payload: schemas.DatasetUpdate
) -> Dataset:
    changes = payload.model_dump(exclude_unset=True, exclude={"note"}, mode="json")
    for key, value in changes.items():
        setattr(dataset, key, value)
    return await _new_revision(session, principal, dataset, payload.note or "edited")


async def transition(
    session: AsyncSession, principal: Principal, dataset: Dataset, action: str
) -> Dataset:
    source, target = _TRANSITIONS[action]
    if dataset.status != source:
        raise Conflict(f"Only a {source} dataset can be {target}; this one is {dataset.status}.")
    dataset.status = target
    return await _new_revision(session, principal, dataset, target)


async def _new_revision(
    session: AsyncSession, principal: Principal, dataset: Dataset, note: str
) -> Dataset:
    dataset.revision += 1
    await session.flush()
    await session.refresh(dataset)
    await record(session, principal, dataset, note)
    await reindex_dataset(session, dataset.id)
    updated = DatasetUpdated(
        dataset_id=dataset.id, revision=dataset.revision, status=dataset.status
    )
    await outbox.publish(
        session,
        type=DATASET_UPDATED,
        subject=str(dataset.id),
        data=updated.model_dump(mode="json"),
        actor=principal.subject,
    )
    return dataset


async def revisions(
    session: AsyncSession, dataset: Dataset, *, cursor: str | None, limit: int
) -> Page[schemas.Revision]:
    rows = await RevisionRepository(session).page(dataset.id, cursor=cursor, limit=limit)
    return Page.from_rows(
        rows, limit, key=lambda r: (r.revision,), convert=schemas.Revision.model_validate
    )


async def diff(
    session: AsyncSession, dataset: Dataset, before: int, after: int
) -> schemas.RevisionDiff:
    repository = RevisionRepository(session)
    old, new = await repository.get(dataset.id, before), await repository.get(dataset.id, after)
    if old is None or new is None:
        raise NotFound(f"This dataset has revisions 1 to {dataset.revision}.")
    metadata = {
        key: schemas.FieldChange(before=old.snapshot["metadata"].get(key), after=value)
        for key, value in new.snapshot["metadata"].items()
        if old.snapshot["metadata"].get(key) != value
    }
    tables, variables, breaking = _diff_dictionaries(
        old.snapshot["dictionary"], new.snapshot["dictionary"]
    )
    return schemas.RevisionDiff(
        from_revision=before,
        to_revision=after,
        metadata=metadata,
        tables=tables,
        variables=variables,
        breaking=breaking,
    )


def _diff_dictionaries(
    old: dict[str, dict[str, str]], new: dict[str, dict[str, str]]
) -> tuple[ChangeSet, ChangeSet, list[BreakingChange]]:
    tables, variables, breaking = ChangeSet(), ChangeSet(), []
    tables.added = sorted(new.keys() - old.keys())
    tables.removed = sorted(old.keys() - new.keys())
    for table in sorted(old.keys() | new.keys()):
        before, after = old.get(table, {}), new.get(table, {})
        if table in old and table in new and before != after:
            tables.changed.append(table)
        variables.added += [f"{table}.{v}" for v in sorted(after.keys() - before.keys())]
        for name in sorted(before.keys() - after.keys()):
            variables.removed.append(f"{table}.{name}")
            breaking.append(BreakingChange(table=table, variable=name, change="removed"))
        for name in sorted(before.keys() & after.keys()):
            if before[name] != after[name]:
                variables.changed.append(f"{table}.{name}")
                breaking.append(
                    BreakingChange(
                        table=table,
                        variable=name,
                        change="retyped",
                        before=before[name],
                        after=after[name],
                    )
                )
    tables.unchanged = len(old.keys() & new.keys()) - len(tables.changed)
    return tables, variables, breaking


def _metadata(dataset: Dataset) -> dict[str, Any]:
    dumped = dataset_schemas.Dataset.model_validate(dataset).model_dump(mode="json")
    return {k: v for k, v in dumped.items() if k not in _UNVERSIONED}


async def _dictionary(session: AsyncSession, dataset: Dataset) -> dict[str, dict[str, str]]:
    repository = DictionaryRepository(session)
    tables = {table.id: table.name for table, _ in await repository.tables(dataset.id)}
    dictionary: dict[str, dict[str, str]] = {name: {} for name in tables.values()}
    for variable in await repository.variables(list(tables)):
        dictionary[tables[variable.table_id]][variable.name] = variable.type
    return dictionary
