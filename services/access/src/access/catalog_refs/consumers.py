"""What the access service knows of the catalogue: its datasets and their tables' variables."""

from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from access.catalog_refs.models import DatasetRef, VariableRef
from access.events import DATASET_REGISTERED, TABLE_PUBLISHED, DatasetRegistered, TablePublished
from access.state import AccessState
from hdh_common.consumer import Subscription
from hdh_common.events import CloudEvent


async def on_catalog_event(state: AccessState, session: AsyncSession, event: CloudEvent) -> None:
    if event.type == DATASET_REGISTERED:
        await _dataset_registered(session, DatasetRegistered.model_validate(event.data))
    elif event.type == TABLE_PUBLISHED:
        await _table_published(session, TablePublished.model_validate(event.data))


async def _dataset_registered(session: AsyncSession, dataset: DatasetRegistered) -> None:
    values = {
        "id": dataset.dataset_id,
        "slug": dataset.slug,
        "title": dataset.title,
        "publisher": dataset.publisher,
    }
    await session.execute(
        insert(DatasetRef)
        .values(**values)
        .on_conflict_do_update(index_elements=["id"], set_=values)
    )


async def _table_published(session: AsyncSession, published: TablePublished) -> None:
    dataset_id, table = published.dataset_id, published.table
    variables = {variable.name: variable for variable in published.variables}
    await session.execute(
        delete(VariableRef).where(
            VariableRef.dataset_id == dataset_id, VariableRef.table_name == table
        )
    )
    if variables:
        rows = [
            {
                "dataset_id": dataset_id,
                "table_name": table,
                "name": n,
                "event_date": variables[n].event_date,
                "identifier": variables[n].identifier,
            }
            for n in sorted(variables)
        ]
        await session.execute(insert(VariableRef).values(rows))


catalog_subscription = Subscription(
    name="access.catalog", topics=("hdh.catalog",), handler=on_catalog_event
)
