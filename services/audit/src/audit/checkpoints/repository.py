from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from audit.checkpoints.models import CheckpointSignature, Cosignature


class CheckpointRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def signature_of(self, *, tree_head_id: int, origin: str) -> CheckpointSignature | None:
        return await self.session.scalar(
            select(CheckpointSignature).where(
                CheckpointSignature.tree_head_id == tree_head_id,
                CheckpointSignature.origin == origin,
            )
        )

    async def add_signature(self, row: CheckpointSignature) -> CheckpointSignature:
        self.session.add(row)
        await self.session.flush()
        return row

    async def cosignatures(self, *, origin: str, size: int, root: bytes) -> list[Cosignature]:
        query = (
            select(Cosignature)
            .where(
                Cosignature.origin == origin,
                Cosignature.tree_size == size,
                Cosignature.root_hash == root,
            )
            .order_by(Cosignature.witness, Cosignature.id)
        )
        return list(await self.session.scalars(query))

    async def add_cosignature(self, row: Cosignature) -> None:
        values = {
            column: getattr(row, column)
            for column in ("origin", "tree_size", "root_hash", "witness", "key_id", "signature")
        }
        await self.session.execute(insert(Cosignature).values(**values).on_conflict_do_nothing())

    async def last_cosigned_size(self, *, origin: str, witness: str, key_id: int) -> int:
        size = await self.session.scalar(
            select(func.max(Cosignature.tree_size)).where(
                Cosignature.origin == origin,
                Cosignature.witness == witness,
                Cosignature.key_id == key_id,
            )
        )
        return int(size or 0)
