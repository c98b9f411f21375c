"""Pseudonym domains: ``central`` and ``project:<id>``, each with versioned keys."""

import uuid
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from hdh_common.errors import Conflict, NotFound
from linkage.keys import schemas
from linkage.keys.crypto import MasterKey, new_domain_key
from linkage.keys.models import ACTIVE, DESTROYED
from linkage.keys.repository import DomainKeyRepository
from linkage.pseudonyms.hmac import KeyedHasher

CENTRAL = "central"


def project_domain(project_id: uuid.UUID) -> str:
    return f"project:{project_id}"


class KeyDestroyed(Conflict):
    slug, title = "key-destroyed", "Pseudonym domain key destroyed"


@dataclass(frozen=True)
class DomainKeyInUse:
    """An opened domain key: the version to record with outputs, and the hasher to use."""

    domain: str
    version: int
    secret: bytes

    def __repr__(self) -> str:
        return f"DomainKeyInUse(domain={self.domain!r}, version={self.version})"

    def hasher(self, tag: bytes) -> KeyedHasher:
        return KeyedHasher(self.secret, tag=tag)


async def active_key(session: AsyncSession, master: MasterKey, domain: str) -> DomainKeyInUse:
    """The domain's active key, created (version 1) on first use."""
    repository = DomainKeyRepository(session)
    found = await repository.active(domain)
    if found is None:
        if await repository.latest_version(domain):
            raise KeyDestroyed(f"The keys of domain {domain!r} were destroyed.")
        await repository.insert(domain=domain, version=1, sealed=_sealed(master, domain, 1))
        found = await repository.active(domain)
    assert found is not None and found.sealed is not None
    secret = master.open(found.sealed, domain=domain, version=found.version)
    return DomainKeyInUse(domain=domain, version=found.version, secret=secret)


async def rotate(session: AsyncSession, master: MasterKey, domain: str) -> int:
    """Retire the active version and activate a new one; returns the new version."""
    repository = DomainKeyRepository(session)
    current = await repository.active(domain)
    latest = await repository.latest_version(domain)
    if current is None and latest:
        raise KeyDestroyed(f"The keys of domain {domain!r} were destroyed.")
    await repository.retire(domain)
    version = latest + 1
    if not await repository.insert(
        domain=domain, version=version, sealed=_sealed(master, domain, version)
    ):
        raise Conflict(f"Domain {domain!r} is being rotated concurrently.")
    return version


async def destroy(session: AsyncSession, domain: str) -> int:
    """Erase every version of the domain's key; what it pseudonymised can never be re-derived."""
    destroyed = await DomainKeyRepository(session).destroy(domain)
    if not destroyed and not await DomainKeyRepository(session).latest_version(domain):
        raise NotFound(f"No pseudonym domain {domain!r}.")
    return destroyed


async def is_destroyed(session: AsyncSession, domain: str) -> bool:
    found = await DomainKeyRepository(session).version(domain, 1)
    return found is not None and found.status == DESTROYED


def _sealed(master: MasterKey, domain: str, version: int) -> bytes:
    return master.seal(new_domain_key(), domain=domain, version=version)


async def destroy_if_any(session: AsyncSession, domain: str) -> int:
    return await DomainKeyRepository(session).destroy(domain)


async def domains(session: AsyncSession) -> list[schemas.Domain]:
    grouped: dict[str, list[schemas.DomainKeyVersion]] = {}
    for row in await DomainKeyRepository(session).all():
        grouped.setdefault(row.domain, []).append(schemas.DomainKeyVersion.model_validate(row))
    return [
        schemas.Domain(
            domain=name,
            active_version=next((v.version for v in versions if v.status == ACTIVE), None),
            versions=versions,
        )
        for name, versions in grouped.items()
    ]
