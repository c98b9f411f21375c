import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from access.notifications.models import (
    Contact,
    DeliveryStatus,
    Email,
    OverdueNotice,
    Webhook,
    WebhookDelivery,
)
from access.projects.models import Project
from access.requests.models import AccessRequest
from hdh_common.pagination import keyset


@dataclass(frozen=True)
class Claim:
    """A due delivery taken by one worker for one attempt (a lease, not a lock)."""

    id: uuid.UUID
    url: str
    secret: str
    payload: dict[str, Any]
    attempts: int


@dataclass(frozen=True)
class Letter:
    """A due e-mail taken by one worker for one attempt."""

    id: uuid.UUID
    recipient: str
    subject: str
    body: str
    attempts: int


class WebhookRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, webhook: Webhook) -> Webhook:
        self.session.add(webhook)
        await self.session.flush()
        await self.session.refresh(webhook, attribute_names=["created_at"])
        return webhook

    async def get(self, webhook_id: uuid.UUID) -> Webhook | None:
        return await self.session.get(Webhook, webhook_id)

    async def delete(self, webhook: Webhook) -> None:
        await self.session.delete(webhook)
        await self.session.flush()

    async def page(self, organisation: str, *, cursor: str | None, limit: int) -> list[Webhook]:
        query = select(Webhook).where(Webhook.organisation == organisation)
        query = keyset(
            query, Webhook.created_at, Webhook.id, cursor=cursor, limit=limit, descending=True
        )
        return list(await self.session.scalars(query))

    async def of_organisation(self, organisation: str) -> list[Webhook]:
        return list(
            await self.session.scalars(select(Webhook).where(Webhook.organisation == organisation))
        )

    async def organisation_of(
        self, *, request_id: uuid.UUID | None, project_id: uuid.UUID | None
    ) -> str | None:
        if request_id is not None:
            query = (
                select(Project.organisation)
                .join(AccessRequest, AccessRequest.project_id == Project.id)
                .where(AccessRequest.id == request_id)
            )
        elif project_id is not None:
            query = select(Project.organisation).where(Project.id == project_id)
        else:
            return None
        return await self.session.scalar(query)

    async def enqueue(self, *, webhook_id: uuid.UUID, event: dict[str, Any], now: datetime) -> None:
        await self.session.execute(
            insert(WebhookDelivery)
            .values(
                id=uuid.uuid4(),
                webhook_id=webhook_id,
                event_id=event["id"],
                event_type=event["type"],
                payload=event,
                status=DeliveryStatus.PENDING,
                attempts=0,
                next_attempt_at=now,
            )
            .on_conflict_do_nothing()
        )

    async def add_delivery(self, delivery: WebhookDelivery) -> WebhookDelivery:
        self.session.add(delivery)
        await self.session.flush()
        await self.session.refresh(delivery, attribute_names=["created_at"])
        return delivery

    async def delivery(
        self, webhook_id: uuid.UUID, delivery_id: uuid.UUID, *, lock: bool = False
    ) -> WebhookDelivery | None:
        query = select(WebhookDelivery).where(
            WebhookDelivery.id == delivery_id, WebhookDelivery.webhook_id == webhook_id
        )
        return await self.session.scalar(query.with_for_update() if lock else query)

    async def deliveries(
        self, webhook_id: uuid.UUID, *, status: str | None, cursor: str | None, limit: int
    ) -> list[WebhookDelivery]:
        query = select(WebhookDelivery).where(WebhookDelivery.webhook_id == webhook_id)
        if status is not None:
            query = query.where(WebhookDelivery.status == status)
        query = keyset(
            query,
            WebhookDelivery.created_at,
            WebhookDelivery.id,
            cursor=cursor,
            limit=limit,
            descending=True,
        )
        return list(await self.session.scalars(query))

    async def claim_due(self, *, now: datetime, lease: timedelta, limit: int) -> list[Claim]:
        due = (
            select(WebhookDelivery, Webhook)
            .join(Webhook, Webhook.id == WebhookDelivery.webhook_id)
            .where(
                WebhookDelivery.status == DeliveryStatus.PENDING,
                WebhookDelivery.next_attempt_at <= now,
            )
            .order_by(WebhookDelivery.next_attempt_at)
            .limit(limit)
            .with_for_update(of=WebhookDelivery, skip_locked=True)
        )
        claims = []
        for delivery, webhook in (await self.session.execute(due)).all():
            delivery.next_attempt_at = now + lease
            claims.append(
                Claim(delivery.id, webhook.url, webhook.secret, delivery.payload, delivery.attempts)
            )
        await self.session.flush()
        return claims

    async def record(self, delivery_id: uuid.UUID, **values: Any) -> None:
        await self.session.execute(
            update(WebhookDelivery).where(WebhookDelivery.id == delivery_id).values(**values)
        )


class MailRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def set_contact(self, subject: str, email: str) -> Contact:
        statement = (
            insert(Contact)
            .values(subject=subject, email=email)
            .on_conflict_do_update(index_elements=["subject"], set_={"email": email})
            .returning(Contact)
        )
        contact = (await self.session.scalars(statement)).one()
        return contact

    async def contact(self, subject: str) -> Contact | None:
        return await self.session.get(Contact, subject)

    async def request(self, request_id: uuid.UUID) -> AccessRequest | None:
        return await self.session.get(AccessRequest, request_id)

    async def add(self, email: Email) -> None:
        self.session.add(email)
        await self.session.flush()

    async def overdue(self, *, today: date, states: tuple[str, ...]) -> list[AccessRequest]:
        noticed = select(OverdueNotice.request_id).where(
            OverdueNotice.request_id == AccessRequest.id,
            OverdueNotice.due_on == AccessRequest.due_on,
        )
        query = select(AccessRequest).where(
            AccessRequest.due_on < today, AccessRequest.state.in_(states), ~noticed.exists()
        )
        return list(await self.session.scalars(query.limit(100)))

    async def notice(self, request: AccessRequest) -> None:
        assert request.due_on is not None
        await self.session.execute(
            insert(OverdueNotice)
            .values(request_id=request.id, due_on=request.due_on)
            .on_conflict_do_nothing()
        )

    async def claim_due(self, *, now: datetime, lease: timedelta, limit: int) -> list[Letter]:
        due = (
            select(Email)
            .where(Email.status == DeliveryStatus.PENDING, Email.next_attempt_at <= now)
            .order_by(Email.next_attempt_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        emails = list(await self.session.scalars(due))
        for email in emails:
            email.next_attempt_at = now + lease
        await self.session.flush()
        return [Letter(e.id, e.recipient, e.subject, e.body, e.attempts) for e in emails]

    async def record(self, email_id: uuid.UUID, **values: Any) -> None:
        await self.session.execute(update(Email).where(Email.id == email_id).values(**values))
