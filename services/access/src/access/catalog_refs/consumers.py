"""What the access service knows of the catalogue: its datasets and their tables' variables."""

import uuid

from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from access.catalog_refs.models import DatasetRef, VariableRef
from access.state import AccessState
from hdh_common.consumer import PoisonMessage, Subscription
from hdh_common.events import CloudEvent

DATASET_REGISTERED = "hdh.catalog.dataset.registered.v1"
TABLE_PUBLISHED = "hdh.catalog.table.published.v1"
"""Asked of the catalogue: ``{dataset_id, table, variables: [{name, ...}]}``, the table's
whole current list of variables (a snapshot, so replaying or reordering is harmless)."""


async def on_catalog_event(state: AccessState, session: AsyncSession, event: CloudEvent) -> None:
    if event.type == DATASET_REGISTERED:
        await _dataset_registered(session, event.data)
    elif event.type == TABLE_PUBLISHED:
        await _table_published(session, event.data)


async def _dataset_registered(session: AsyncSession, data: dict[str, object]) -> None:
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


async def _table_published(session: AsyncSession, data: dict[str, object]) -> None:
    try:
        dataset_id = uuid.UUID(str(data["dataset_id"]))
        table = str(data["table"])
        names = {str(v["name"]) for v in data["variables"]}  # type: ignore[attr-defined]
    except (KeyError, TypeError, ValueError) as exc:
        raise PoisonMessage(f"malformed {TABLE_PUBLISHED}: {exc!r}") from exc
    await session.execute(
        delete(VariableRef).where(
            VariableRef.dataset_id == dataset_id, VariableRef.table_name == table
        )
    )
    if names:
        await session.execute(
            insert(VariableRef).values(
                [{"dataset_id": dataset_id, "table_name": table, "name": n} for n in sorted(names)]
            )
        )


catalog_subscription = Subscription(
    name="access.catalog", topics=("hdh.catalog",), handler=on_catalog_event
)
