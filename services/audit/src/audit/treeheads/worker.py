import asyncio
import logging

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from audit.treeheads import service
from audit.treeheads.signing import Signer

logger = logging.getLogger(__name__)


async def sign_periodically(
    sessionmaker: async_sessionmaker[AsyncSession], signer: Signer, *, interval: float
) -> None:
    """A signed head every ``interval`` seconds, when the log grew since the last one."""
    while True:
        try:
            async with sessionmaker.begin() as session:
                await service.sign_if_stale(session, signer)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            logger.warning("signing a tree head failed: %r", exc)
        await asyncio.sleep(interval)
