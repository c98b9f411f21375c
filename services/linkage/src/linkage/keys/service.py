"""Pseudonym domains: ``central`` and ``project:<id>``, each with versioned keys."""

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from hdh_common.errors import Conflict, NotFound
from hdh_common.pagination import Page
from linkage.db import outbox
from linkage.errors import CentralKeyIndestructible, DestructionPending, FourEyes, KeyDestroyed
from linkage.events import (
    DOMAIN_KEY_DESTROYED,
    DOMAIN_KEY_DESTRUCTION_REQUESTED,
    DOMAIN_KEY_ROTATED,
    DomainKeyDestroyed,
    DomainKeyDestructionRequested,
    DomainKeyRotated,
)
from linkage.keys import schemas
from linkage.keys.crypto import MasterKey, MasterKeyUnavailable, Sealed, new_domain_key
from linkage.keys.models import ACTIVE, DESTROYED, DomainKey, DomainKeyDestruction
from linkage.keys.repository import DestructionRepository, DomainKeyRepository
from linkage.pseudonyms.hmac import KeyedHasher

CENTRAL = "central"


def project_domain(project_id: uuid.UUID) -> str:
    return f"project:{project_id}"


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
    assert found is not None
    return DomainKeyInUse(
        domain=domain, version=found.version, secret=await _open(session, master, found)
    )


async def _open(session: AsyncSession, master: MasterKey, found: DomainKey) -> bytes:
    """The domain key; read again once if a master key rotation re-sealed it meanwhile (the
    master key it named may be retired by now)."""
    try:
        return master.open(_sealed_of(found), domain=found.domain, version=found.version)
    except MasterKeyUnavailable:
        await session.refresh(found)
        return master.open(_sealed_of(found), domain=found.domain, version=found.version)


def _sealed_of(found: DomainKey) -> Sealed:
    if found.sealed is None:
        raise KeyDestroyed(f"The keys of domain {found.domain!r} were destroyed.")
    return Sealed(found.master_key_id, found.sealed)


async def rotate(session: AsyncSession, master: MasterKey, domain: str, *, actor: str) -> int:
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
    await outbox.publish(
        session,
        type=DOMAIN_KEY_ROTATED,
        subject=domain,
        data=DomainKeyRotated(domain=domain, version=version).model_dump(mode="json"),
        actor=actor,
    )
    return version


def _destructible(domain: str) -> None:
    if domain == CENTRAL:
        raise CentralKeyIndestructible(
            "The central domain's keys are never destroyed: every central version depends on them."
        )


async def request_destruction(
    session: AsyncSession, domain: str, *, reason: str, actor: str
) -> DomainKeyDestruction:
    """The first pair of eyes: a request, carried out only once another person confirms it."""
    _destructible(domain)
    if not await DomainKeyRepository(session).latest_version(domain):
        raise NotFound(f"No pseudonym domain {domain!r}.")
    if await is_destroyed(session, domain):
        raise KeyDestroyed(f"The keys of domain {domain!r} were destroyed.")
    request = await DestructionRepository(session).add_pending(
        domain=domain, reason=reason, requested_by=actor
    )
    if request is None:
        raise DestructionPending(f"The destruction of domain {domain!r} is already requested.")
    event = DomainKeyDestructionRequested(request_id=request.id, domain=domain, reason=reason)
    await outbox.publish(
        session,
        type=DOMAIN_KEY_DESTRUCTION_REQUESTED,
        subject=domain,
        data=event.model_dump(mode="json"),
        actor=actor,
    )
    return request


async def confirm_destruction(
    session: AsyncSession, domain: str, request_id: uuid.UUID, *, actor: str
) -> tuple[DomainKeyDestruction, int]:
    """The second pair of eyes: another hub staff member confirms, and the keys are erased."""
    request = await DestructionRepository(session).locked(request_id)
    if request is None or request.domain != domain:
        raise NotFound(f"No request {request_id} to destroy the keys of domain {domain!r}.")
    if request.confirmed_at is not None:
        raise Conflict(f"The request was confirmed by {request.confirmed_by} already.")
    if request.requested_by == actor:
        raise FourEyes("The person who requested a key's destruction cannot confirm it.")
    destroyed = await destroy(session, domain)
    request.confirmed_by, request.confirmed_at = actor, datetime.now(UTC)
    await session.flush()
    event = DomainKeyDestroyed(
        domain=domain,
        versions_destroyed=destroyed,
        request_id=request.id,
        requested_by=request.requested_by,
    )
    await outbox.publish(
        session,
        type=DOMAIN_KEY_DESTROYED,
        subject=domain,
        data=event.model_dump(mode="json"),
        actor=actor,
    )
    return request, destroyed


async def destroy(session: AsyncSession, domain: str) -> int:
    """Erase every version of the domain's key; what it pseudonymised can never be re-derived."""
    _destructible(domain)
    destroyed = await DomainKeyRepository(session).destroy(domain)
    if not destroyed and not await DomainKeyRepository(session).latest_version(domain):
        raise NotFound(f"No pseudonym domain {domain!r}.")
    return destroyed


async def is_destroyed(session: AsyncSession, domain: str) -> bool:
    found = await DomainKeyRepository(session).version(domain, 1)
    return found is not None and found.status == DESTROYED


def _sealed(master: MasterKey, domain: str, version: int) -> Sealed:
    return master.seal(new_domain_key(), domain=domain, version=version)


async def destroy_if_any(session: AsyncSession, domain: str) -> int:
    """A project's closure: its domain's keys erased at once (never ``central``)."""
    _destructible(domain)
    return await DomainKeyRepository(session).destroy(domain)


async def domains(session: AsyncSession, *, cursor: str | None, limit: int) -> Page[schemas.Domain]:
    names = await DomainKeyRepository(session).domain_page(cursor=cursor, limit=limit)
    shown = names[:limit]
    grouped: dict[str, list[schemas.DomainKeyVersion]] = {name: [] for name in shown}
    for row in await DomainKeyRepository(session).of_domains(shown):
        grouped[row.domain].append(schemas.DomainKeyVersion.model_validate(row))
    pending = {
        r.domain: schemas.DestructionRequest.model_validate(r)
        for r in await DestructionRepository(session).pending(shown)
    }
    return Page.from_rows(
        names,
        limit,
        key=lambda name: (name,),
        convert=lambda name: schemas.Domain(
            domain=name,
            active_version=next((v.version for v in grouped[name] if v.status == ACTIVE), None),
            versions=grouped[name],
            pending_destruction=pending.get(name),
        ),
    )
