"""The access service's own events (``hdh.access``), turned into webhook deliveries for the
partners they concern and into e-mails for the people a transition waits on."""

import uuid
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from access.notifications import mail, service
from access.state import AccessState
from hdh_common.consumer import Subscription
from hdh_common.events import CloudEvent

REQUEST_EVENT_PREFIX = "hdh.access.request."


async def on_access_event(state: AccessState, session: AsyncSession, event: CloudEvent) -> None:
    now = datetime.now(UTC)
    await service.fan_out(session, event, now=now)
    if state.settings.smtp_host and event.type.startswith(REQUEST_EVENT_PREFIX):
        await mail.on_request_moved(
            session,
            state.settings,
            request_id=uuid.UUID(str(event.data["request_id"])),
            to_state=str(event.data.get("to_state")),
            reason=event.data.get("reason"),
            now=now,
        )


notifications_subscription = Subscription(
    name="access.notifications", topics=("hdh.access",), handler=on_access_event
)
