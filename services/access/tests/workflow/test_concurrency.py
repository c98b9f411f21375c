"""Two transactions act on one request at once: exactly one wins, the other gets 409."""

import asyncio
import uuid

import pytest

from access.config import Settings
from access.errors import StaleVersion
from access.requests.service import get_in_context
from access.workflow.schemas import TransitionCreate
from access.workflow.service import take
from hdh_common.db import create_sessionmaker
from hdh_common.identity import Principal, Role


def staff(name: str) -> Principal:
    return Principal(subject=name, roles=frozenset({Role.HUB_STAFF}))


async def test_the_second_writer_blocks_then_loses(hub) -> None:
    request = await hub.draft()
    await hub.drive_to(request["id"], "submitted")
    rid, version = uuid.UUID(request["id"]), (await hub.get(request["id"]))["version"]
    sessionmaker = create_sessionmaker(hub.engine)
    settings = Settings()
    async with sessionmaker() as first, sessionmaker() as second:
        a = await get_in_context(first, staff("sam"), rid)
        b = await get_in_context(second, staff("steve"), rid)
        await take(
            first,
            staff("sam"),
            a,
            TransitionCreate(transition="declare_admissible", version=version),
            now=hub.clock(),
            settings=settings,
        )
        racing = asyncio.create_task(
            take(
                second,
                staff("steve"),
                b,
                TransitionCreate(transition="request_info", version=version, reason="CV?"),
                now=hub.clock(),
                settings=settings,
            )
        )
        await asyncio.sleep(0.3)
        assert not racing.done()  # blocked on the first transaction's row lock
        await first.commit()
        with pytest.raises(StaleVersion):
            await racing
        await second.rollback()
    final = await hub.get(request["id"])
    assert final["state"] == "admissible" and final["version"] == version + 1
