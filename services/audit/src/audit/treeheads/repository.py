from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from audit.treeheads.models import SigningKey, TreeHead

SIGNING_LOCK = 0x6864685F686561  # one signer of tree heads at a time, across replicas


class TreeHeadRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def lock_signing(self) -> None:
        """Held until the transaction ends."""
        await self.session.execute(select(func.pg_advisory_xact_lock(SIGNING_LOCK)))

    async def register_key(self, *, key_id: str, algorithm: str, public_key: bytes) -> None:
        await self.session.execute(
            insert(SigningKey)
            .values(key_id=key_id, algorithm=algorithm, public_key=public_key)
            .on_conflict_do_nothing()
        )

    async def keys(self) -> list[SigningKey]:
        return list(await self.session.scalars(select(SigningKey).order_by(SigningKey.created_at)))

    async def latest(self) -> TreeHead | None:
        return await self.session.scalar(select(TreeHead).order_by(TreeHead.id.desc()).limit(1))

    async def add(self, head: TreeHead) -> TreeHead:
        self.session.add(head)
        await self.session.flush()
        return head
