"""What linkage listens to: validated catalogue versions and projects' own files, and the
access service's grants."""

import logging

from sqlalchemy.ext.asyncio import AsyncSession

from hdh_common.consumer import Subscription
from hdh_common.events import CloudEvent
from linkage.events import (
    GRANT_ENDED,
    GRANT_EXPIRED,
    GRANT_ISSUED,
    GRANT_REVOKED,
    GRANT_SUPERSEDED,
    MEMBER_ADDED,
    MEMBER_REMOVED,
    PROJECT_CLOSED,
    PROJECT_DATA_VALIDATED,
    VERSION_VALIDATED,
    GrantEnded,
    GrantIssued,
    MemberChanged,
    ProjectClosed,
    ProjectDataValidated,
    VersionValidated,
)
from linkage.extracts import service as extracts
from linkage.jobs import service as jobs
from linkage.project_data import service as project_data
from linkage.state import LinkageState

logger = logging.getLogger(__name__)
SYSTEM_ACTOR = "linkage"
# How a grant can end; each removes its extract.
ENDINGS = {
    GRANT_REVOKED: "revoked",
    GRANT_EXPIRED: "expired",
    GRANT_SUPERSEDED: "superseded",
    GRANT_ENDED: "ended",
}


async def on_catalog_event(state: LinkageState, session: AsyncSession, event: CloudEvent) -> None:
    if event.type == PROJECT_DATA_VALIDATED:
        loaded = ProjectDataValidated.model_validate(event.data)
        await project_data.validated(session, loaded, actor=event.actor or SYSTEM_ACTOR)
        return
    if event.type != VERSION_VALIDATED:
        return
    payload = VersionValidated.model_validate(event.data)
    job = await jobs.version_validated(session, payload, actor=event.actor or SYSTEM_ACTOR)
    if job is None:
        logger.warning(
            "version %s was already validated; kept as first recorded", payload.version_id
        )
    else:
        logger.info("version %s queued for pseudonymisation as job %s", payload.version_id, job.id)


async def on_access_event(state: LinkageState, session: AsyncSession, event: CloudEvent) -> None:
    if event.type == GRANT_ISSUED:
        payload = GrantIssued.model_validate(event.data)
        await extracts.grant_issued(session, payload, actor=event.actor or SYSTEM_ACTOR)
    elif event.type in ENDINGS:
        ended = GrantEnded.model_validate(event.data)
        await extracts.grant_ended(session, state.object_store, ended, status=ENDINGS[event.type])
    elif event.type == PROJECT_CLOSED:
        await extracts.project_closed(session, ProjectClosed.model_validate(event.data))
    elif event.type in (MEMBER_ADDED, MEMBER_REMOVED):
        change = MemberChanged.model_validate(event.data)
        await extracts.member_changed(session, change, added=event.type == MEMBER_ADDED)


subscriptions = [
    Subscription(name="linkage.catalog", topics=("hdh.catalog",), handler=on_catalog_event),
    Subscription(name="linkage.access", topics=("hdh.access",), handler=on_access_event),
]
