"""What the workspace listens to: the access service's grants and projects, and the linkage
service's completed extracts."""

import logging

from sqlalchemy.ext.asyncio import AsyncSession

from hdh_common.consumer import Subscription
from hdh_common.events import CloudEvent
from workspace.events import (
    EXTRACT_COMPLETED,
    GRANT_ENDED,
    GRANT_EXPIRED,
    GRANT_ISSUED,
    GRANT_REVOKED,
    GRANT_SUPERSEDED,
    MEMBER_ADDED,
    MEMBER_REMOVED,
    PROJECT_CLOSED,
    PROJECT_DATA_LOADED,
    ExtractCompleted,
    GrantEnded,
    GrantIssued,
    MemberChanged,
    ProjectClosed,
    ProjectDataLoaded,
)
from workspace.sessions import service as sessions
from workspace.spaces import lifecycle
from workspace.state import WorkspaceState

logger = logging.getLogger(__name__)
# How a grant can end; each closes access to its tables.
ENDINGS = {
    GRANT_REVOKED: "revoked",
    GRANT_EXPIRED: "expired",
    GRANT_SUPERSEDED: "superseded",
    GRANT_ENDED: "ended",
}


async def on_access_event(state: WorkspaceState, session: AsyncSession, event: CloudEvent) -> None:
    backends = state.sessions if state is not None else None
    if event.type == GRANT_ISSUED:
        issued = GrantIssued.model_validate(event.data)
        await lifecycle.grant_issued(session, issued, actor=event.actor)
    elif event.type in ENDINGS:
        ended = GrantEnded.model_validate(event.data)
        await lifecycle.grant_ended(session, ended, status=ENDINGS[event.type])
        reason = ENDINGS[event.type]
        await sessions.end_access(session, backends, reason=reason, grant_id=ended.grant_id)
    elif event.type == PROJECT_CLOSED:
        closed = ProjectClosed.model_validate(event.data)
        await lifecycle.project_closed(session, closed)
        reason = "project_closed"
        await sessions.end_access(session, backends, reason=reason, project_id=closed.project_id)
    elif event.type in (MEMBER_ADDED, MEMBER_REMOVED):
        change = MemberChanged.model_validate(event.data)
        added = event.type == MEMBER_ADDED
        await lifecycle.member_changed(session, change, added=added, actor=event.actor)
        if not added:
            await sessions.end_access(
                session,
                backends,
                reason="member_removed",
                project_id=change.project_id,
                subject=change.subject,
            )


async def on_linkage_event(state: WorkspaceState, session: AsyncSession, event: CloudEvent) -> None:
    if event.type == PROJECT_DATA_LOADED:
        loaded = ProjectDataLoaded.model_validate(event.data)
        if not await lifecycle.project_data_loaded(session, loaded, actor=event.actor):
            logger.warning("project data %s: its grant has ended", loaded.upload_id)
        return
    if event.type != EXTRACT_COMPLETED:
        return
    completed = ExtractCompleted.model_validate(event.data)
    registered = await lifecycle.extract_completed(session, completed, actor=event.actor)
    if not registered:
        logger.warning("extract of grant %s: no table registered", completed.grant_id)


subscriptions = [
    Subscription(name="workspace.access", topics=("hdh.access",), handler=on_access_event),
    Subscription(name="workspace.linkage", topics=("hdh.linkage",), handler=on_linkage_event),
]
