"""The master key's life: loaded from settings, rotated, retired.

A rotation never stops the service and changes no pseudonym: a new master key version
(``add``) seals new domain keys at once; ``rotate`` re-seals every existing domain key under
it, a few at a time in short transactions, while readers go on opening each row with the
master key the row names (a reader that raced a re-seal reads the row again); ``retire``
re-seals what is left under a lock that holds only writers back, then destroys the old
version. The domain keys themselves never change, so the pseudonyms they key do not either.
"""

import logging

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hdh_common.hsm import open_hsm
from linkage.config import Settings
from linkage.db import outbox
from linkage.events import (
    MASTER_KEY_ADDED,
    MASTER_KEY_RETIRED,
    MASTER_KEY_ROTATED,
    MasterKeyAdded,
    MasterKeyRetired,
    MasterKeyRotated,
)
from linkage.keys.crypto import MasterKey, MasterKeyError, Sealed, load_master_key
from linkage.keys.hsm import HsmMasterKey
from linkage.keys.repository import DomainKeyRepository

logger = logging.getLogger(__name__)
BATCH = 100


def load(settings: Settings) -> MasterKey:
    """The HSM's master key versions when a module is configured (one at least, or this
    fails at start), else the file key."""
    dev = settings.environment == "dev"
    config = settings.hsm_config()
    if config is None:
        return load_master_key(
            settings.linkage_master_key, dev=dev, path=settings.linkage_master_key_path
        )
    legacy = None
    if settings.linkage_master_key.get_secret_value():
        legacy = load_master_key(
            settings.linkage_master_key, dev=False, path=settings.linkage_master_key_path
        )
    master = HsmMasterKey(open_hsm(config), label=settings.linkage_master_key_label, legacy=legacy)
    master.newest()
    return master


async def add(
    sessionmaker: async_sessionmaker[AsyncSession], master: MasterKey, *, actor: str
) -> str:
    key_id = master.add_version()
    async with sessionmaker.begin() as session:
        await _publish(session, MASTER_KEY_ADDED, MasterKeyAdded(key_id=key_id), actor=actor)
    return key_id


async def rotate(
    sessionmaker: async_sessionmaker[AsyncSession], master: MasterKey, *, actor: str
) -> int:
    """Re-seal every domain key under the newest master key; returns how many were."""
    key_id = master.newest()
    resealed = 0
    while moved := await _reseal_batch(sessionmaker, master, key_id):
        resealed += moved
    async with sessionmaker.begin() as session:
        event = MasterKeyRotated(key_id=key_id, domain_keys_resealed=resealed)
        await _publish(session, MASTER_KEY_ROTATED, event, actor=actor)
    logger.info("master key rotated to %s: %d domain keys re-sealed", key_id, resealed)
    return resealed


async def retire(
    sessionmaker: async_sessionmaker[AsyncSession], master: MasterKey, key_id: str, *, actor: str
) -> None:
    """Destroy an older master key version once no domain key names it."""
    newest = master.newest()
    if key_id == newest:
        raise MasterKeyError(f"{key_id!r} seals new domain keys: add a newer version first")
    if key_id not in master.key_ids():
        raise MasterKeyError(f"master key {key_id!r} is not held here")
    await rotate(sessionmaker, master, actor=actor)
    while not await _destroy_if_unused(sessionmaker, master, key_id, newest, actor=actor):
        pass
    logger.info("master key %s retired", key_id)


async def status(session: AsyncSession, master: MasterKey) -> dict[str, int]:
    """Domain keys sealed under each master key, every held one listed (zero or more)."""
    counts = await DomainKeyRepository(session).count_sealed_under()
    return {key_id: counts.get(key_id, 0) for key_id in master.key_ids()} | counts


async def _destroy_if_unused(
    sessionmaker: async_sessionmaker[AsyncSession],
    master: MasterKey,
    key_id: str,
    newest: str,
    *,
    actor: str,
) -> bool:
    """Under a lock that holds writers back: re-seal stragglers and commit them first, or,
    when there are none, destroy the version (a failed commit then loses only the event)."""
    async with sessionmaker.begin() as session:
        await DomainKeyRepository(session).lock_writes()
        if await _reseal(session, master, newest):
            return False
        master.destroy(key_id)
        await _publish(session, MASTER_KEY_RETIRED, MasterKeyRetired(key_id=key_id), actor=actor)
    return True


async def _reseal_batch(
    sessionmaker: async_sessionmaker[AsyncSession], master: MasterKey, key_id: str
) -> int:
    async with sessionmaker.begin() as session:
        return await _reseal(session, master, key_id)


async def _reseal(session: AsyncSession, master: MasterKey, key_id: str) -> int:
    rows = await DomainKeyRepository(session).sealed_not_under(key_id, limit=BATCH)
    for row in rows:
        assert row.sealed is not None
        secret = master.open(
            Sealed(row.master_key_id, row.sealed), domain=row.domain, version=row.version
        )
        sealed = master.seal(secret, domain=row.domain, version=row.version, key_id=key_id)
        row.sealed, row.master_key_id = sealed.blob, sealed.key_id
    await session.flush()
    return len(rows)


async def _publish(
    session: AsyncSession,
    kind: str,
    event: MasterKeyAdded | MasterKeyRotated | MasterKeyRetired,
    *,
    actor: str,
) -> None:
    await outbox.publish(
        session, type=kind, subject=event.key_id, data=event.model_dump(mode="json"), actor=actor
    )
