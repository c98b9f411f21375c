import base64
import uuid
from collections.abc import AsyncIterator

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from hdh_common.db import create_sessionmaker
from linkage.errors import CentralKeyIndestructible, KeyDestroyed
from linkage.keys import service
from linkage.keys.crypto import FileMasterKey, MasterKey


@pytest.fixture
async def session(clean_database: str) -> AsyncIterator[AsyncSession]:
    engine = create_async_engine(clean_database)
    async with create_sessionmaker(engine)() as session:
        yield session
        await session.commit()
    await engine.dispose()


@pytest.fixture
def master(master_key_b64: str) -> MasterKey:
    return FileMasterKey(base64.b64decode(master_key_b64))


async def test_a_domain_key_is_created_once_sealed_and_rotated(
    session: AsyncSession, master: MasterKey
) -> None:
    first = await service.active_key(session, master, service.CENTRAL)
    assert (await service.active_key(session, master, service.CENTRAL)).secret == first.secret
    stored = await session.scalar(sa.text("SELECT sealed FROM linkage.domain_key"))
    assert first.secret not in stored and len(first.secret) == 32
    assert first.secret.hex() not in repr(first)
    assert await service.rotate(session, master, service.CENTRAL, actor="alice") == 2
    second = await service.active_key(session, master, service.CENTRAL)
    assert (second.version, second.secret != first.secret) == (2, True)
    [domain] = (await service.domains(session, cursor=None, limit=10)).items
    assert [(v.version, v.status) for v in domain.versions] == [(1, "retired"), (2, "active")]


async def test_a_rotation_is_an_event_of_its_transaction(
    session: AsyncSession, master: MasterKey
) -> None:
    await service.active_key(session, master, service.CENTRAL)
    await service.rotate(session, master, service.CENTRAL, actor="alice")
    [event] = await session.scalars(sa.text("SELECT payload FROM linkage.outbox"))
    assert (event["type"], event["subject"], event["actor"], event["data"]) == (
        "hdh.linkage.domain_key.rotated.v1",
        "central",
        "alice",
        {"domain": "central", "version": 2},
    )


async def test_a_destroyed_project_key_cannot_be_used_again(
    session: AsyncSession, master: MasterKey
) -> None:
    domain = service.project_domain(uuid.uuid4())
    await service.active_key(session, master, domain)
    await service.rotate(session, master, domain, actor="alice")
    assert await service.destroy(session, domain) == 2
    assert await service.is_destroyed(session, domain)
    remaining = await session.scalar(
        sa.text("SELECT count(*) FROM linkage.domain_key WHERE sealed IS NOT NULL")
    )
    assert remaining == 0
    with pytest.raises(KeyDestroyed):
        await service.active_key(session, master, domain)
    with pytest.raises(KeyDestroyed):
        await service.rotate(session, master, domain, actor="alice")


async def test_the_central_key_is_never_destroyed(session: AsyncSession, master: MasterKey) -> None:
    await service.active_key(session, master, service.CENTRAL)
    for destroy in (service.destroy, service.destroy_if_any):
        with pytest.raises(CentralKeyIndestructible):
            await destroy(session, service.CENTRAL)
    assert not await service.is_destroyed(session, service.CENTRAL)
