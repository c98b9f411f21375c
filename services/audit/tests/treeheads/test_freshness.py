"""The freshness of the signed tree head on ``/metrics``: its age grows while no head is
signed, and the entries a head does not cover yet are counted."""

import asyncio
import math
from collections.abc import Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from audit.main import create_app
from audit.treeheads import service
from hdh_dev.testing import eventually, running, scraped

from ..heads import SignedHead

Headers = Callable[..., dict[str, str]]
Draft = Callable[..., dict[str, Any]]
AGE = "audit_tree_head_age_seconds"


async def test_the_head_s_age_grows_until_a_new_one_is_signed(
    audit_settings: Callable[..., Any], as_role: Headers, draft: Draft, signed_head: SignedHead
) -> None:
    async with running(create_app(audit_settings())) as client:
        await signed_head(client, size=0)

        async def observed() -> bool:
            return 0 <= (await scraped(client, AGE) or math.nan) < 10

        await eventually(observed, within=10)  # the signer's next round
        first = await scraped(client, AGE)
        assert first is not None
        await asyncio.sleep(1.0)  # the log is quiet: no new head
        older = await scraped(client, AGE)
        assert older is not None and older >= first + 0.9
        await client.post("/audit/entries", json=draft(1), headers=as_role("system"))
        await signed_head(client, size=1)
        await asyncio.sleep(0.3)  # the signer's next round observes the head it signed
        assert (await scraped(client, AGE) or math.inf) < older
        assert await scraped(client, "audit_tree_unsigned_entries") == 0


async def test_entries_the_latest_head_does_not_cover_are_counted(
    audit_settings: Callable[..., Any],
    as_role: Headers,
    draft: Draft,
    signed_head: SignedHead,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    # one head at start, then none for an hour
    async with running(create_app(audit_settings(audit_tree_head_interval=3600))) as client:
        await signed_head(client, size=0)
        for n in range(3):
            await client.post("/audit/entries", json=draft(n), headers=as_role("system"))
        async with sessionmaker() as session:
            freshness = await service.freshness(session)
    assert freshness.unsigned_entries == 3
    assert not math.isnan(freshness.signed_at)
