"""``hdh.linkage.extract.completed.v1`` moves a request from data preparation to active."""

import logging
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from access.events import EXTRACT_COMPLETED, ExtractCompleted
from access.requests.service import get_in_context
from access.state import AccessState
from access.workflow import service as workflow
from access.workflow.schemas import TransitionCreate
from hdh_common.consumer import PoisonMessage, Subscription
from hdh_common.errors import AppError
from hdh_common.events import CloudEvent
from hdh_common.identity import Principal, Role

logger = logging.getLogger(__name__)
LINKAGE = Principal(subject="hdh-linkage", roles=frozenset({Role.SYSTEM}))


async def on_linkage_event(state: AccessState, session: AsyncSession, event: CloudEvent) -> None:
    if event.type != EXTRACT_COMPLETED:
        return
    request_id = ExtractCompleted.model_validate(event.data).request_id
    try:
        context = await get_in_context(session, LINKAGE, request_id)
        if context.request.state == "active":
            return
        payload = TransitionCreate(transition="activate", version=context.request.version)
        await workflow.take(
            session, LINKAGE, context, payload, now=datetime.now(UTC), settings=state.settings
        )
    except AppError as exc:
        raise PoisonMessage(f"cannot activate {request_id}: {exc.detail}") from exc


linkage_subscription = Subscription(
    name="access.linkage", topics=("hdh.linkage",), handler=on_linkage_event
)
