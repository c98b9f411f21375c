import uuid
from datetime import UTC, datetime

from sqlalchemy import func, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from hdh_common.pagination import keyset
from linkage.keys.crypto import Sealed
from linkage.keys.models import ACTIVE, DESTROYED, RETIRED, DomainKey, DomainKeyDestruction


class DomainKeyRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def active(self, domain: str) -> DomainKey | None:
        return await self.session.scalar(
            select(DomainKey).where(DomainKey.domain == domain, DomainKey.status == ACTIVE)
        )

    async def version(self, domain: str, version: int) -> DomainKey | None:
        return await self.session.scalar(
            select(DomainKey).where(DomainKey.domain == domain, DomainKey.version == version)
        )

    async def latest_version(self, domain: str) -> int:
        found = await self.session.scalar(
            select(func.max(DomainKey.version)).where(DomainKey.domain == domain)
        )
        return int(found or 0)

    async def insert(self, *, domain: str, version: int, sealed: Sealed) -> bool:
        """Add a version unless a concurrent writer added it first; True if this one did."""
        inserted = await self.session.scalar(
            insert(DomainKey)
            .values(
                domain=domain,
                version=version,
                sealed=sealed.blob,
                master_key_id=sealed.key_id,
                status=ACTIVE,
            )
            .on_conflict_do_nothing(index_elements=["domain", "version"])
            .returning(DomainKey.id)
        )
        return inserted is not None

    async def retire(self, domain: str) -> None:
        await self.session.execute(
            update(DomainKey)
            .where(DomainKey.domain == domain, DomainKey.status == ACTIVE)
            .values(status=RETIRED, retired_at=datetime.now(UTC))
        )

    async def destroy(self, domain: str) -> int:
        result = await self.session.execute(
            update(DomainKey)
            .where(DomainKey.domain == domain, DomainKey.status != DESTROYED)
            .values(sealed=None, status=DESTROYED, destroyed_at=datetime.now(UTC))
            .returning(DomainKey.id)
        )
        return len(result.all())

    async def sealed_not_under(self, key_id: str, *, limit: int) -> list[DomainKey]:
        """Domain keys (any status but destroyed) sealed by another master key, locked."""
        query = (
            select(DomainKey)
            .where(DomainKey.master_key_id != key_id, DomainKey.sealed.is_not(None))
            .order_by(DomainKey.id)
            .limit(limit)
            .with_for_update()
        )
        return list(await self.session.scalars(query))

    async def count_sealed_under(self) -> dict[str, int]:
        query = (
            select(DomainKey.master_key_id, func.count())
            .where(DomainKey.sealed.is_not(None))
            .group_by(DomainKey.master_key_id)
        )
        return {key_id: count for key_id, count in (await self.session.execute(query)).all()}

    async def lock_writes(self) -> None:
        """No domain key is added, re-sealed or destroyed until this transaction ends; reads go
        on."""
        await self.session.execute(
            text("LOCK TABLE linkage.domain_key IN SHARE ROW EXCLUSIVE MODE")
        )

    async def domain_page(self, *, cursor: str | None, limit: int) -> list[str]:
        query = select(DomainKey.domain).distinct()
        query = keyset(query, DomainKey.domain, cursor=cursor, limit=limit)
        return list(await self.session.scalars(query))

    async def of_domains(self, domains: list[str]) -> list[DomainKey]:
        query = (
            select(DomainKey)
            .where(DomainKey.domain.in_(domains))
            .order_by(DomainKey.domain, DomainKey.version)
        )
        return list(await self.session.scalars(query))


class DestructionRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add_pending(
        self, *, domain: str, reason: str, requested_by: str
    ) -> DomainKeyDestruction | None:
        """A new pending request, or None if the domain already has one."""
        request_id = await self.session.scalar(
            insert(DomainKeyDestruction)
            .values(id=uuid.uuid4(), domain=domain, reason=reason, requested_by=requested_by)
            .on_conflict_do_nothing(
                index_elements=["domain"], index_where=DomainKeyDestruction.confirmed_at.is_(None)
            )
            .returning(DomainKeyDestruction.id)
        )
        return (
            None if request_id is None else await self.session.get(DomainKeyDestruction, request_id)
        )

    async def locked(self, request_id: uuid.UUID) -> DomainKeyDestruction | None:
        return await self.session.scalar(
            select(DomainKeyDestruction)
            .where(DomainKeyDestruction.id == request_id)
            .with_for_update()
        )

    async def pending(self, domains: list[str]) -> list[DomainKeyDestruction]:
        query = select(DomainKeyDestruction).where(
            DomainKeyDestruction.confirmed_at.is_(None), DomainKeyDestruction.domain.in_(domains)
        )
        return list(await self.session.scalars(query))
