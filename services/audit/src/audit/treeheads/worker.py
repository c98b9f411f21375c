import asyncio
import logging
import math
import time

from prometheus_client import CollectorRegistry, Gauge
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from audit.treeheads import service
from audit.treeheads.signing import Signer

logger = logging.getLogger(__name__)


class HeadMetrics:
    """How fresh the signed tree head is: its age, computed when scraped (so a signer that
    stopped shows), and the entries it does not cover yet. A quiet log keeps an old head:
    stale means old *and* entries waiting."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self._signed_at = math.nan
        Gauge(
            "audit_tree_head_age_seconds",
            "Seconds since the latest signed tree head was signed (NaN before the first).",
            registry=registry,
        ).set_function(lambda: time.time() - self._signed_at)
        self.unsigned = Gauge(
            "audit_tree_unsigned_entries",
            "Entries appended since the latest signed tree head.",
            registry=registry,
        )

    def observe(self, freshness: service.Freshness) -> None:
        self._signed_at = freshness.signed_at
        self.unsigned.set(freshness.unsigned_entries)


async def sign_periodically(
    sessionmaker: async_sessionmaker[AsyncSession],
    signer: Signer,
    *,
    interval: float,
    metrics: HeadMetrics,
) -> None:
    """A signed head every ``interval`` seconds, when the log grew since the last one."""
    while True:
        try:
            async with sessionmaker.begin() as session:
                await service.sign_if_stale(session, signer)
            async with sessionmaker() as session:
                metrics.observe(await service.freshness(session))
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            logger.warning("signing a tree head failed: %r", exc)
        await asyncio.sleep(interval)
