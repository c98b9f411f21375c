"""E-mails to people: who is told of what, and the SMTP adapter.

Recipients are the addresses people gave (``PUT /access/notifications/contact``; tokens
carry none) and the hub staff mailbox (``HDH_ACCESS_STAFF_EMAIL``). The applicant is whoever
filed the request. Someone with no address given gets no e-mail.
"""

import asyncio
import smtplib
import uuid
from datetime import date, datetime
from email.message import EmailMessage

from sqlalchemy.ext.asyncio import AsyncSession

from access.config import Settings
from access.notifications.models import Contact, DeliveryStatus, Email
from access.notifications.repository import MailRepository
from access.requests.models import AccessRequest
from hdh_common.errors import NotFound

TO_APPLICANT = {
    "info_requested": "Information is requested on your access request",
    "authorised": "Your access request is authorised",
    "rejected": "Your access request is rejected",
    "preparation_failed": "The preparation of your data failed",
}
TO_STAFF = {"submitted": "An access request was submitted"}
WAITING_ON_APPLICANT = ("info_requested",)
WAITING_ON_HUB = (
    "submitted",
    "admissible",
    "committee_review",
    "regulator_review",
    "authorised",
    "agreement_signed",
    "data_preparation",
)


async def set_contact(session: AsyncSession, subject: str, email: str) -> Contact:
    return await MailRepository(session).set_contact(subject, email)


async def get_contact(session: AsyncSession, subject: str) -> Contact:
    contact = await MailRepository(session).contact(subject)
    if contact is None:
        raise NotFound("No address given.")
    return contact


async def on_request_moved(
    session: AsyncSession,
    settings: Settings,
    *,
    request_id: uuid.UUID,
    to_state: str,
    reason: str | None,
    now: datetime,
) -> None:
    repository = MailRepository(session)
    request = await repository.request(request_id)
    if request is None:
        return
    if to_state in TO_APPLICANT:
        recipient = await _address(repository, request.filed_by)
        title = TO_APPLICANT[to_state]
    elif to_state in TO_STAFF:
        recipient, title = settings.staff_email or None, TO_STAFF[to_state]
    else:
        return
    body = f"{title}.\n\nRequest: {request.id}\nState: {to_state}\n"
    if reason:
        body += f"Reason: {reason}\n"
    if request.due_on:
        body += f"Due on: {request.due_on.isoformat()}\n"
    await _queue(repository, recipient, f"[HDH] {title}", body, now=now)


async def notify_overdue(
    session: AsyncSession, settings: Settings, *, today: date, now: datetime
) -> int:
    repository = MailRepository(session)
    overdue = await repository.overdue(today=today, states=WAITING_ON_APPLICANT + WAITING_ON_HUB)
    for request in overdue:
        await repository.notice(request)
        await _queue(
            repository,
            await _overdue_recipient(repository, settings, request),
            "[HDH] An access request is overdue",
            f"Request {request.id} in state {request.state} was due on {request.due_on}.\n",
            now=now,
        )
    return len(overdue)


async def _overdue_recipient(
    repository: MailRepository, settings: Settings, request: AccessRequest
) -> str | None:
    if request.state in WAITING_ON_APPLICANT:
        return await _address(repository, request.filed_by)
    return settings.staff_email or None


async def _address(repository: MailRepository, subject: str) -> str | None:
    contact = await repository.contact(subject)
    return contact.email if contact else None


async def _queue(
    repository: MailRepository, recipient: str | None, subject: str, body: str, *, now: datetime
) -> None:
    if recipient:
        await repository.add(
            Email(
                recipient=recipient,
                subject=subject,
                body=body,
                status=DeliveryStatus.PENDING,
                attempts=0,
                next_attempt_at=now,
            )
        )


def _message(settings: Settings, *, recipient: str, subject: str, body: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = settings.smtp_from
    message["To"] = recipient
    message["Subject"] = subject
    message.set_content(body)
    return message


def _send_blocking(settings: Settings, message: EmailMessage) -> None:
    timeout = settings.webhook_timeout
    smtp: smtplib.SMTP
    if settings.smtp_security == "tls":
        smtp = smtplib.SMTP_SSL(settings.smtp_host, settings.smtp_port, timeout=timeout)
    else:
        smtp = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=timeout)
    with smtp:
        if settings.smtp_security == "starttls":
            smtp.starttls()
        if settings.smtp_username:
            smtp.login(settings.smtp_username, settings.smtp_password.get_secret_value())
        smtp.send_message(message)


async def send(settings: Settings, *, recipient: str, subject: str, body: str) -> None:
    message = _message(settings, recipient=recipient, subject=subject, body=body)
    await asyncio.to_thread(_send_blocking, settings, message)
