"""The scheduled expiry sweep: every ``grant_sweep_interval`` seconds, expire grants past due."""

import asyncio
import logging
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from access.config import Settings
from access.grants.service import expire_due

logger = logging.getLogger(__name__)
SWEEPER = "hdh-access-sweeper"


async def sweep_forever(sessionmaker: async_sessionmaker[AsyncSession], settings: Settings) -> None:
    while True:
        await asyncio.sleep(settings.grant_sweep_interval)
        try:
            async with sessionmaker.begin() as session:
                expired = await expire_due(session, now=datetime.now(UTC), actor=SWEEPER)
            if expired:
                logger.info("expired %d grants", expired)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the database is down: try again next round
            logger.warning("grant expiry sweep failed: %r", exc)
