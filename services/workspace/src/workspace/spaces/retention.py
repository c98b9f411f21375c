"""A closed project's own files are removed once the retention period is over: the results
of its analyses in the object store and the local copies of its tables. The extract itself
is the linkage service's, removed when its grant ends."""

import asyncio
import logging
import shutil
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hdh_common.storage import ObjectStore
from workspace.analyses.runner import BUCKET
from workspace.config import Settings
from workspace.db import outbox
from workspace.events import SPACE_PURGED, SpacePurged
from workspace.spaces.models import CLOSED, Space

logger = logging.getLogger(__name__)
BATCH = 10


async def purge_due(
    sessionmaker: async_sessionmaker[AsyncSession], store: ObjectStore, settings: Settings
) -> int:
    """Purge the spaces closed longer ago than the retention period; how many."""
    now = datetime.now(UTC)
    cutoff = now - timedelta(days=settings.workspace_retention_days)
    async with sessionmaker.begin() as session:
        due = await session.scalars(
            select(Space)
            .where(Space.status == CLOSED, Space.purged_at.is_(None), Space.closed_at <= cutoff)
            .order_by(Space.closed_at)
            .limit(BATCH)
            .with_for_update(skip_locked=True)
        )
        spaces = list(due)
        for space in spaces:
            objects = await store.list(BUCKET, f"{space.project_id}/analyses/")
            for found in objects:
                await store.delete(BUCKET, found.key)
            folder = settings.workspace_files_path / str(space.project_id)
            await asyncio.to_thread(shutil.rmtree, folder, ignore_errors=True)
            space.purged_at = now
            assert space.closed_at is not None
            purged = SpacePurged(
                project_id=space.project_id, closed_at=space.closed_at, objects_removed=len(objects)
            )
            await outbox.publish(
                session,
                type=SPACE_PURGED,
                subject=str(space.project_id),
                data=purged.model_dump(mode="json"),
                actor=None,
            )
    return len(spaces)


async def purge_forever(
    sessionmaker: async_sessionmaker[AsyncSession], store: ObjectStore, settings: Settings
) -> None:
    while True:
        try:
            await purge_due(sessionmaker, store, settings)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            logger.warning("purge of closed spaces failed: %s", type(exc).__name__)
        await asyncio.sleep(settings.workspace_purge_interval)
