import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from catalog.curation import service as curation
from catalog.datasets import schemas
from catalog.datasets.models import Dataset
from catalog.datasets.repository import DatasetRepository
from catalog.datasets.visibility import Visibility
from catalog.db import outbox
from catalog.events import DATASET_REGISTERED, DatasetRegistered
from catalog.search.indexer import reindex_dataset
from hdh_common.errors import Conflict, Forbidden, NotFound
from hdh_common.identity import Principal, Role
from hdh_common.pagination import Page


async def register(
    session: AsyncSession, principal: Principal, payload: schemas.DatasetCreate
) -> Dataset:
    if Role.HUB_STAFF not in principal.roles and payload.publisher != principal.organisation:
        raise Forbidden("Producers register datasets for their own organisation only.")
    repository = DatasetRepository(session)
    if await repository.slug_taken(payload.slug):
        raise Conflict(f"A dataset named {payload.slug!r} already exists.")
    values = payload.model_dump(mode="json")
    dataset = await repository.add(Dataset(**values, created_by=principal.subject))
    await reindex_dataset(session, dataset.id)
    await curation.record(session, principal, dataset, "registered")
    event = DatasetRegistered(
        dataset_id=dataset.id, slug=dataset.slug, title=dataset.title, publisher=dataset.publisher
    )
    await outbox.publish(
        session,
        type=DATASET_REGISTERED,
        subject=str(dataset.id),
        data=event.model_dump(mode="json"),
        actor=principal.subject,
    )
    return dataset


async def get(session: AsyncSession, dataset_id: uuid.UUID, *, visibility: Visibility) -> Dataset:
    dataset = await DatasetRepository(session).get(dataset_id)
    if dataset is None or not visibility.sees(dataset):
        raise NotFound(f"No dataset with id {dataset_id}.")
    return dataset


async def page(
    session: AsyncSession, *, visibility: Visibility, cursor: str | None, limit: int
) -> Page[schemas.Dataset]:
    rows = await DatasetRepository(session).page(visibility.clause(), cursor=cursor, limit=limit)
    return Page.from_rows(
        rows, limit, key=lambda d: (d.created_at, d.id), convert=schemas.Dataset.model_validate
    )
