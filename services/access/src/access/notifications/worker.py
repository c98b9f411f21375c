"""The delivery worker: posts due webhooks (Standard Webhooks headers, signed), sends due
e-mails, tells of missed deadlines; retries with exponential backoff and dead-letters after
``notification_max_attempts``. Deliveries are leased, not locked, while in flight, so
several replicas can run it."""

import asyncio
import json
import logging
import smtplib
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from standardwebhooks.webhooks import Webhook as Signer

from access.calendar.legal_clock import legal_day
from access.config import Settings
from access.notifications import mail
from access.notifications.models import DeliveryStatus
from access.notifications.repository import Claim, Letter, MailRepository, WebhookRepository
from hdh_common.tracing import Tracing

logger = logging.getLogger(__name__)
BATCH = 20


def backoff(settings: Settings, attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failure: base, twice base, four times base..., capped."""
    seconds = settings.notification_backoff_base * 2 ** (attempts - 1)
    return timedelta(seconds=min(seconds, settings.notification_backoff_max))


def outcome(
    settings: Settings, *, attempts: int, error: str | None, now: datetime
) -> dict[str, Any]:
    """The columns an attempt leaves: delivered, retried later, or dead."""
    if error is None:
        return {
            "status": DeliveryStatus.DELIVERED,
            "attempts": attempts,
            "delivered_at": now,
            "last_error": None,
        }
    status = (
        DeliveryStatus.DEAD
        if attempts >= settings.notification_max_attempts
        else DeliveryStatus.PENDING
    )
    return {
        "status": status,
        "attempts": attempts,
        "last_error": error[:2000],
        "next_attempt_at": now + backoff(settings, attempts),
    }


def signed_request(claim: Claim, *, now: datetime) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(claim.payload, separators=(",", ":"), ensure_ascii=False)
    msg_id = str(claim.id)
    headers = {
        "content-type": "application/json",
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": Signer(claim.secret).sign(msg_id, now, body),
    }
    return body.encode(), headers


async def _post(client: httpx.AsyncClient, claim: Claim) -> tuple[int | None, str | None]:
    body, headers = signed_request(claim, now=datetime.now(UTC))
    try:
        response = await client.post(claim.url, content=body, headers=headers)
    except httpx.HTTPError as exc:
        return None, f"{type(exc).__name__}: {exc}"
    if response.is_success:
        return response.status_code, None
    return response.status_code, f"HTTP {response.status_code}"


async def deliver_due(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, client: httpx.AsyncClient
) -> int:
    lease = timedelta(seconds=settings.webhook_timeout * 2)
    async with sessionmaker.begin() as session:
        claims = await WebhookRepository(session).claim_due(
            now=datetime.now(UTC), lease=lease, limit=BATCH
        )
    results = await asyncio.gather(*(_post(client, claim) for claim in claims))
    async with sessionmaker.begin() as session:
        repository, now = WebhookRepository(session), datetime.now(UTC)
        for claim, (code, error) in zip(claims, results, strict=True):
            values = outcome(settings, attempts=claim.attempts + 1, error=error, now=now)
            await repository.record(claim.id, last_status_code=code, **values)
    return len(claims)


async def _mail(settings: Settings, letter: Letter) -> str | None:
    try:
        await mail.send(
            settings, recipient=letter.recipient, subject=letter.subject, body=letter.body
        )
    except (OSError, smtplib.SMTPException) as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


async def send_due(sessionmaker: async_sessionmaker[AsyncSession], settings: Settings) -> int:
    lease = timedelta(seconds=settings.webhook_timeout * 2)
    async with sessionmaker.begin() as session:
        letters = await MailRepository(session).claim_due(
            now=datetime.now(UTC), lease=lease, limit=BATCH
        )
    results = [await _mail(settings, letter) for letter in letters]
    async with sessionmaker.begin() as session:
        repository, now = MailRepository(session), datetime.now(UTC)
        for letter, error in zip(letters, results, strict=True):
            values = outcome(settings, attempts=letter.attempts + 1, error=error, now=now)
            values["sent_at"] = values.pop("delivered_at", None)
            await repository.record(letter.id, **values)
    return len(letters)


async def one_round(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, client: httpx.AsyncClient
) -> None:
    await deliver_due(sessionmaker, settings, client)
    if settings.smtp_host:
        now = datetime.now(UTC)
        async with sessionmaker.begin() as session:
            await mail.notify_overdue(session, settings, today=legal_day(now), now=now)
        await send_due(sessionmaker, settings)


async def notify_forever(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, tracing: Tracing
) -> None:
    async with tracing.client(timeout=settings.webhook_timeout, follow_redirects=False) as client:
        while True:
            try:
                await one_round(sessionmaker, settings, client)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the database is down: try again next round
                logger.warning("notification round failed: %r", exc)
            await asyncio.sleep(settings.notification_poll_interval)
