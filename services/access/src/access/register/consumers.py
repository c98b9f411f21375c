"""``hdh.workspace.output.released.v1``: the public register counts, per project, the results
released from its space after output checking, and says when the latest was."""

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from access.events import OUTPUT_RELEASED, OutputReleased
from access.register.models import RegisterEntry
from access.requests.models import AccessRequest
from access.state import AccessState
from hdh_common.consumer import Subscription
from hdh_common.events import CloudEvent


async def on_workspace_event(state: AccessState, session: AsyncSession, event: CloudEvent) -> None:
    if event.type != OUTPUT_RELEASED:
        return
    released = OutputReleased.model_validate(event.data)
    requests = select(AccessRequest.id).where(AccessRequest.project_id == released.project_id)
    await session.execute(
        update(RegisterEntry)
        .where(RegisterEntry.request_id.in_(requests))
        .values(
            outputs_released=RegisterEntry.outputs_released + 1,
            last_output_released_at=func.greatest(
                func.coalesce(RegisterEntry.last_output_released_at, released.released_at),
                released.released_at,
            ),
        )
    )


workspace_subscription = Subscription(
    name="access.workspace", topics=("hdh.workspace",), handler=on_workspace_event
)
