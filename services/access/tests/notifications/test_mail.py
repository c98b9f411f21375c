"""E-mails through a real SMTP server (aiosmtpd): staff on submission, the applicant when
information is asked and on the decision, and whoever a missed deadline waits on, once."""

import asyncio
from collections.abc import Iterator
from email import message_from_bytes
from email.message import Message
from typing import Any

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from hdh_dev.processes import free_port
from hdh_dev.testing import bearer, eventually

from .conftest import FAST

SMTP_PORT = free_port()


class Inbox:
    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        assert isinstance(envelope.content, bytes)
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"

    def to(self, address: str) -> list[Message]:
        return [m for m in self.messages if m["To"] == address]


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return FAST | {
        "smtp_host": "127.0.0.1",
        "smtp_port": SMTP_PORT,
        "smtp_security": "none",
        "smtp_from": "hub@hdh.test",
        "staff_email": "staff@hdh.test",
    }


@pytest.fixture
def inbox() -> Iterator[Inbox]:
    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=SMTP_PORT)
    controller.start()
    yield handler
    controller.stop()


async def test_transitions_mail_the_people_they_wait_on(hub, inbox: Inbox, pump) -> None:
    contact = await hub.client.put(
        "/access/notifications/contact",
        json={"email": "alice@lab.test"},
        headers=hub.as_("researcher", "alice"),
    )
    assert contact.status_code == 200, contact.text
    request = await hub.draft()
    await hub.drive_to(request["id"], "submitted")
    await hub.ok(request["id"], "request_info", "hub_staff", "sam", reason="Which cohort?")
    await pump(hub)

    async def both_told() -> bool:
        return bool(inbox.to("staff@hdh.test")) and bool(inbox.to("alice@lab.test"))

    await eventually(both_told, within=10)
    staff, alice = inbox.to("staff@hdh.test")[0], inbox.to("alice@lab.test")[0]
    assert staff["From"] == "hub@hdh.test"
    assert "submitted" in staff["Subject"]
    assert request["id"] in staff.get_payload(decode=True).decode()
    assert "Information is requested" in alice["Subject"]
    assert "Which cohort?" in alice.get_payload(decode=True).decode()
    assert len(inbox.messages) == 2  # the uploads, the draft: nobody is told


async def test_a_missed_deadline_is_told_once(hub, inbox: Inbox) -> None:
    request = await hub.draft()
    await hub.drive_to(request["id"], "submitted")
    async with hub.engine.begin() as connection:
        await connection.execute(
            sa.text("UPDATE access.access_request SET due_on = '2020-01-06' WHERE id = :id"),
            {"id": request["id"]},
        )

    async def told() -> bool:
        return bool(inbox.to("staff@hdh.test"))

    await eventually(told, within=10)
    late = inbox.to("staff@hdh.test")[0]
    assert "overdue" in late["Subject"]
    assert "2020-01-06" in late.get_payload(decode=True).decode()
    await asyncio.sleep(0.3)  # several more rounds of the worker
    async with hub.engine.connect() as connection:
        notices = await connection.scalar(sa.text("SELECT count(*) FROM access.overdue_notice"))
    assert notices == 1
    assert len(inbox.messages) == 1


async def test_only_people_set_their_address(hub) -> None:
    path = "/access/notifications/contact"
    body = {"email": "crm@partner.test"}
    partner = bearer(hub.make_token("access", "partner", sub="crm", org="org"))
    assert (await hub.client.put(path, json=body, headers=partner)).status_code == 403
    assert (await hub.client.put(path, json=body)).status_code == 401
    bad = await hub.client.put(path, json={"email": "nobody"}, headers=hub.as_("researcher"))
    assert bad.status_code == 422
    missing = await hub.client.get(path, headers=hub.as_("researcher", "bob"))
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
