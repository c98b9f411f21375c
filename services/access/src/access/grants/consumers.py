"""The linkage service's extracts move a request on: ``hdh.linkage.extract.completed.v1`` from
data preparation to active, ``hdh.linkage.extract.failed.v1`` to preparation_failed, with
the reason, for the applicant and staff to see (staff then retry)."""

import logging
import uuid
from datetime import UTC, datetime
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from access.events import EXTRACT_COMPLETED, EXTRACT_FAILED, ExtractCompleted, ExtractFailed
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
    if event.type == EXTRACT_COMPLETED:
        request_id = ExtractCompleted.model_validate(event.data).request_id
        await _take(state, session, request_id, "activate", reason=None)
    elif event.type == EXTRACT_FAILED:
        failed = ExtractFailed.model_validate(event.data)
        if failed.request_id is None:
            return
        reason = f"The extract could not be built: {failed.reason}"
        await _take(state, session, failed.request_id, "fail_preparation", reason=reason)


async def _take(
    state: AccessState,
    session: AsyncSession,
    request_id: uuid.UUID,
    transition: Literal["activate", "fail_preparation"],
    *,
    reason: str | None,
) -> None:
    """Take ``transition`` as the linkage service, unless the request is no longer in data
    preparation (a redelivered event, or staff acted first)."""
    try:
        context = await get_in_context(session, LINKAGE, request_id)
        if context.request.state != "data_preparation":
            return
        payload = TransitionCreate(
            transition=transition, version=context.request.version, reason=reason
        )
        await workflow.take(
            session, LINKAGE, context, payload, now=datetime.now(UTC), settings=state.settings
        )
    except AppError as exc:
        raise PoisonMessage(f"cannot {transition} {request_id}: {exc.detail}") from exc


linkage_subscription = Subscription(
    name="access.linkage", topics=("hdh.linkage",), handler=on_linkage_event
)
