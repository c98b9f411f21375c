"""Partner webhooks: who may subscribe to what, and which events concern an organisation.

An event concerns an organisation when it is about an access request (``request_id`` in its
data) or a project (``project_id``) whose project was filed under that organisation. The
dataset producer's organisation is not told: a producer follows its datasets in the catalogue.
"""

import base64
import ipaddress
import secrets
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from access.config import Settings
from access.errors import WebhookUrlNotAllowed
from access.notifications import schemas
from access.notifications.models import DeliveryStatus, Webhook, WebhookDelivery
from access.notifications.repository import WebhookRepository
from hdh_common.errors import Forbidden, NotFound
from hdh_common.events import CloudEvent
from hdh_common.identity import Principal
from hdh_common.pagination import Page

SECRET_PREFIX = "whsec_"
INTERNAL = {"actor", "requestid", "correlationid", "traceparent"}
"""Envelope fields that stay in the hub: who acted, and how the hub traces its own work."""
TEST_EVENT = "hdh.access.webhook.tested.v1"


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def _organisation(principal: Principal) -> str:
    if not principal.organisation:
        raise Forbidden("A partner subscribes for its organisation; the token names none.")
    return principal.organisation


def wants(webhook: Webhook, event_type: str) -> bool:
    return any(
        event_type.startswith(t[:-1]) if t.endswith("*") else event_type == t
        for t in webhook.event_types
    )


def _check_host(host: str | None, settings: Settings) -> None:
    """Refuses endpoints on the hub's own networks: loopback, private, link-local addresses
    and local names (a name resolving there is not caught here; egress rules must)."""
    if settings.webhook_allow_private_addresses:
        return
    name = (host or "").strip("[]").lower()
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        if name == "localhost" or name.endswith((".localhost", ".local", ".internal")):
            raise WebhookUrlNotAllowed(f"{name} is a local name.") from None
        return
    if not address.is_global:
        raise WebhookUrlNotAllowed(f"{name} is not a public address.")


async def create(
    session: AsyncSession,
    principal: Principal,
    payload: schemas.WebhookCreate,
    *,
    settings: Settings,
) -> schemas.WebhookCreated:
    _check_host(payload.url.host, settings)
    webhook = await WebhookRepository(session).add(
        Webhook(
            organisation=_organisation(principal),
            url=str(payload.url),
            event_types=sorted(set(payload.event_types)),
            secret=new_secret(),
            created_by=principal.subject,
        )
    )
    return schemas.WebhookCreated(
        **schemas.Webhook.model_validate(webhook).model_dump(), secret=webhook.secret
    )


async def get_owned(session: AsyncSession, principal: Principal, webhook_id: uuid.UUID) -> Webhook:
    """Another organisation's webhook is not found, not forbidden: its existence is private."""
    webhook = await WebhookRepository(session).get(webhook_id)
    if webhook is None or webhook.organisation != _organisation(principal):
        raise NotFound("No such webhook.")
    return webhook


async def page(
    session: AsyncSession, principal: Principal, *, cursor: str | None, limit: int
) -> Page[schemas.Webhook]:
    rows = await WebhookRepository(session).page(
        _organisation(principal), cursor=cursor, limit=limit
    )
    return Page[schemas.Webhook].from_rows(
        rows, limit, key=lambda w: (w.created_at, w.id), convert=schemas.Webhook.model_validate
    )


async def delete(session: AsyncSession, webhook: Webhook) -> None:
    await WebhookRepository(session).delete(webhook)


async def send_test(session: AsyncSession, webhook: Webhook, *, now: datetime) -> WebhookDelivery:
    event = CloudEvent.new(
        source="/access",
        type=TEST_EVENT,
        subject=str(webhook.id),
        data={"webhook_id": str(webhook.id)},
        actor=webhook.created_by,
    )
    payload = body_of(event)
    return await WebhookRepository(session).add_delivery(
        WebhookDelivery(
            webhook_id=webhook.id,
            event_id=event.id,
            event_type=event.type,
            payload=payload,
            status=DeliveryStatus.PENDING,
            attempts=0,
            next_attempt_at=now,
        )
    )


async def deliveries(
    session: AsyncSession,
    webhook: Webhook,
    *,
    status: DeliveryStatus | None,
    cursor: str | None,
    limit: int,
) -> Page[schemas.Delivery]:
    rows = await WebhookRepository(session).deliveries(
        webhook.id, status=status, cursor=cursor, limit=limit
    )
    return Page[schemas.Delivery].from_rows(
        rows, limit, key=lambda d: (d.created_at, d.id), convert=schemas.Delivery.model_validate
    )


async def get_delivery(
    session: AsyncSession, webhook: Webhook, delivery_id: uuid.UUID, *, lock: bool = False
) -> WebhookDelivery:
    delivery = await WebhookRepository(session).delivery(webhook.id, delivery_id, lock=lock)
    if delivery is None:
        raise NotFound("No such delivery.")
    return delivery


async def replay(delivery: WebhookDelivery, *, now: datetime) -> WebhookDelivery:
    """Sends a delivery again, whatever became of it, with a fresh set of attempts."""
    delivery.status = DeliveryStatus.PENDING
    delivery.attempts = 0
    delivery.next_attempt_at = now
    delivery.last_error = None
    return delivery


async def fan_out(session: AsyncSession, event: CloudEvent, *, now: datetime) -> int:
    """Queues ``event`` for each webhook of its organisation that wants it."""
    repository = WebhookRepository(session)
    organisation = await repository.organisation_of(
        request_id=_uuid(event.data.get("request_id")),
        project_id=_uuid(event.data.get("project_id")),
    )
    if organisation is None:
        return 0
    body = body_of(event)
    targets = [w for w in await repository.of_organisation(organisation) if wants(w, event.type)]
    for webhook in targets:
        await repository.enqueue(webhook_id=webhook.id, event=body, now=now)
    return len(targets)


def body_of(event: CloudEvent) -> dict[str, Any]:
    """What a partner receives: the CloudEvent as published, less :data:`INTERNAL`."""
    body: dict[str, Any] = event.model_dump(mode="json", exclude_none=True, exclude=INTERNAL)
    return body


def _uuid(value: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value)) if value is not None else None
    except ValueError:
        return None
