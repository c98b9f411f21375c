import uuid

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from access.catalog_refs.models import DatasetRef
from hdh_common.consumer import Subscription
from hdh_common.events import CloudEvent

DATASET_REGISTERED = "hdh.catalog.dataset.registered.v1"


async def on_catalog_event(session: AsyncSession, event: CloudEvent) -> None:
    if event.type != DATASET_REGISTERED:
        return
    data = event.data
    values = {
        "id": uuid.UUID(str(data["dataset_id"])),
        "slug": str(data["slug"]),
        "title": str(data["title"]),
        "publisher": str(data["publisher"]),
    }
    await session.execute(
        insert(DatasetRef)
        .values(**values)
        .on_conflict_do_update(index_elements=["id"], set_=values)
    )


catalog_subscription = Subscription(
    name="access.catalog", topics=("hdh.catalog",), handler=on_catalog_event
)
