"""The access service's own events (``hdh.access``), turned into webhook deliveries for the
partners they concern and into e-mails for the people a transition waits on."""

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from access.events import RequestMoved
from access.notifications import mail, service
from access.state import AccessState
from hdh_common.consumer import Subscription
from hdh_common.events import CloudEvent

REQUEST_EVENT_PREFIX = "hdh.access.request."


async def on_access_event(state: AccessState, session: AsyncSession, event: CloudEvent) -> None:
    now = datetime.now(UTC)
    await service.fan_out(session, event, now=now)
    if state.settings.smtp_host and event.type.startswith(REQUEST_EVENT_PREFIX):
        moved = RequestMoved.model_validate(event.data)
        await mail.on_request_moved(
            session,
            state.settings,
            request_id=moved.request_id,
            to_state=moved.to_state,
            reason=moved.reason,
            now=now,
        )


notifications_subscription = Subscription(
    name="access.notifications", topics=("hdh.access",), handler=on_access_event
)
