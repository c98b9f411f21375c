import base64
import math
import time
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from audit.tree import service as tree
from audit.treeheads.contract import signed_message
from audit.treeheads.models import TreeHead
from audit.treeheads.repository import TreeHeadRepository
from audit.treeheads.schemas import PublicKey, PublicKeys, SignedTreeHead
from audit.treeheads.signing import ALGORITHM, Signer


async def register_key(session: AsyncSession, signer: Signer) -> None:
    await TreeHeadRepository(session).register_key(
        key_id=signer.key_id, algorithm=ALGORITHM, public_key=signer.public_key
    )


async def keys(session: AsyncSession) -> PublicKeys:
    rows = await TreeHeadRepository(session).keys()
    return PublicKeys(
        keys=[
            PublicKey(key_id=row.key_id, public_key=base64.b64encode(row.public_key).decode())
            for row in rows
        ]
    )


async def latest(session: AsyncSession, signer: Signer) -> SignedTreeHead:
    return _schema(await latest_head(session, signer))


async def latest_head(session: AsyncSession, signer: Signer) -> TreeHead:
    """The latest signed head; the first one is signed now if the cadence has not yet."""
    repository = TreeHeadRepository(session)
    head = await repository.latest()
    if head is None:
        await repository.lock_signing()
        head = await repository.latest() or await _add(session, signer)
    return head


async def lock_signing(session: AsyncSession) -> None:
    await TreeHeadRepository(session).lock_signing()


async def sign_if_stale(session: AsyncSession, signer: Signer) -> None:
    """A new head when the log grew since the latest one or the signing key changed."""
    repository = TreeHeadRepository(session)
    await repository.lock_signing()
    size = await tree.current_size(session)
    head = await repository.latest()
    if head is None or head.tree_size != size or head.key_id != signer.key_id:
        await _add(session, signer, size=size)


@dataclass(frozen=True)
class Freshness:
    signed_at: float
    """Unix time of the latest signed head (NaN when none is signed yet)."""
    unsigned_entries: int


async def freshness(session: AsyncSession) -> Freshness:
    head = await TreeHeadRepository(session).latest()
    size = await tree.current_size(session)
    if head is None:
        return Freshness(signed_at=math.nan, unsigned_entries=size)
    return Freshness(signed_at=head.timestamp / 1000, unsigned_entries=size - head.tree_size)


async def _add(session: AsyncSession, signer: Signer, *, size: int | None = None) -> TreeHead:
    await register_key(session, signer)
    size = await tree.current_size(session) if size is None else size
    return await TreeHeadRepository(session).add(await _sign(session, signer, size=size))


async def _sign(session: AsyncSession, signer: Signer, *, size: int) -> TreeHead:
    root = await tree.root(session, size=size)
    timestamp = int(time.time() * 1000)
    message = signed_message(tree_size=size, root_hash=root.hex(), timestamp=timestamp)
    return TreeHead(
        tree_size=size,
        root_hash=root,
        timestamp=timestamp,
        signature=signer.sign(message),
        key_id=signer.key_id,
    )


def _schema(head: TreeHead) -> SignedTreeHead:
    return SignedTreeHead(
        tree_size=head.tree_size,
        root_hash=head.root_hash.hex(),
        timestamp=head.timestamp,
        signature=base64.b64encode(head.signature).decode(),
        key_id=head.key_id,
    )
