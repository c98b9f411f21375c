"""Notebook sessions: a member with live access starts one per project on JupyterHub, with
S3 credentials that read only the project's live grants; it stops when its member stops it,
when a grant it reads ends, when its member leaves the project, when the project closes, or
when its credentials run out. Stopping on an event is marked in the event's transaction and
done on the hub by the sweeper, which publishes the stop once the server is gone."""

import asyncio
import base64
import contextlib
import logging
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

from sqlalchemy import event
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hdh_common.errors import Conflict, NotFound
from hdh_common.identity import Principal, Role
from hdh_common.pagination import Page
from hdh_common.service_client import ServiceClient
from workspace.config import Settings
from workspace.db import outbox
from workspace.events import SESSION_STARTED, SESSION_STOPPED, SessionStarted, SessionStopped
from workspace.sessions import schemas
from workspace.sessions.credentials import (
    CredentialIssuer,
    GrantPrefix,
    SessionCredentials,
    duration,
    grant_prefix,
    session_policy,
)
from workspace.sessions.hub import JupyterHub
from workspace.sessions.models import RUNNING, STOPPED, NotebookSession
from workspace.sessions.repository import SessionRepository
from workspace.spaces.models import SpaceGrant
from workspace.spaces.service import readable as readable_space

logger = logging.getLogger(__name__)
SWEEP_BATCH = 50


@dataclass
class SessionBackends:
    """What sessions run on: the hub, the credential issuer, and the sweeper's wake-up."""

    settings: Settings
    hub: JupyterHub
    credentials: CredentialIssuer
    wake: asyncio.Event = field(default_factory=asyncio.Event)


async def start(
    session: AsyncSession,
    access: ServiceClient,
    backends: SessionBackends,
    principal: Principal,
    project_id: uuid.UUID,
) -> schemas.Session:
    _, grants = await readable_space(session, access, principal, project_id, members_only=True)
    repository = SessionRepository(session)
    if await repository.active(project_id, principal.subject) is not None:
        raise Conflict("You already have a session in this project: stop it first.")
    settings, now = backends.settings, datetime.now(UTC)
    prefixes = [GrantPrefix(g.id, grant_prefix(project_id, g.id), g.expires_at) for g in grants]
    longest = timedelta(hours=settings.workspace_session_hours)
    lifetime = duration(now=now, longest=longest, grants=prefixes)
    notebook = await _add(
        repository, project_id, principal.subject, grants, started_at=now, lifetime=lifetime
    )
    policy = session_policy(settings.workspace_projects_bucket, prefixes)
    keys = await backends.credentials.issue(
        name=f"hdh-session-{notebook.id}", policy=policy, lifetime=lifetime
    )
    notebook.expires_at = min(keys.expires_at, now + lifetime)
    options = _options(settings, notebook, prefixes, keys)
    await backends.hub.start(notebook.subject, notebook.server_name, options=options)
    started = SessionStarted(
        session_id=notebook.id,
        project_id=project_id,
        subject=notebook.subject,
        grant_ids=notebook.grant_ids,
        expires_at=notebook.expires_at,
    )
    await _publish(session, SESSION_STARTED, started, actor=principal.subject)
    return _schema(notebook)


async def _add(
    repository: SessionRepository,
    project_id: uuid.UUID,
    subject: str,
    grants: list[SpaceGrant],
    *,
    started_at: datetime,
    lifetime: timedelta,
) -> NotebookSession:
    notebook = NotebookSession(
        project_id=project_id,
        subject=subject,
        server_name=server_name(project_id),
        grant_ids=[g.id for g in grants],
        status=RUNNING,
        started_at=started_at,
        expires_at=started_at + lifetime,
    )
    try:
        async with repository.session.begin_nested():
            return await repository.add(notebook)
    except IntegrityError as exc:  # started at the same moment by another request
        raise Conflict("You already have a session in this project: stop it first.") from exc


def server_name(project_id: uuid.UUID) -> str:
    """The project's server name on the hub (a slug of at most 30 characters, from a letter)."""
    return "p" + base64.b32encode(project_id.bytes).decode().rstrip("=").lower()


def _options(
    settings: Settings,
    notebook: NotebookSession,
    prefixes: list[GrantPrefix],
    keys: SessionCredentials,
) -> dict[str, Any]:
    """The spawn options: what the hub puts in the session's environment."""
    scheme = "https" if settings.s3_secure else "http"
    bucket = settings.workspace_projects_bucket
    environment = {
        "AWS_ACCESS_KEY_ID": keys.access_key,
        "AWS_SECRET_ACCESS_KEY": keys.secret_key,
        "AWS_SESSION_TOKEN": keys.session_token,
        "AWS_ENDPOINT_URL_S3": f"{scheme}://{settings.s3_endpoint}",
        "AWS_DEFAULT_REGION": settings.s3_region,
        "HDH_PROJECT_ID": str(notebook.project_id),
        "HDH_SESSION_ID": str(notebook.id),
        "HDH_PROJECT_PREFIXES": " ".join(f"s3://{bucket}/{p.prefix}" for p in prefixes),
        "HDH_SESSION_EXPIRES_AT": notebook.expires_at.isoformat(),
    }
    return {"project_id": str(notebook.project_id), "env": environment}


async def page(
    session: AsyncSession,
    access: ServiceClient,
    principal: Principal,
    *,
    project_id: uuid.UUID,
    cursor: str | None,
    limit: int,
) -> Page[schemas.Session]:
    """A member's own sessions of the project; hub staff see everyone's."""
    await readable_space(session, access, principal, project_id)
    subject = None if Role.HUB_STAFF in principal.roles else principal.subject
    rows = await SessionRepository(session).page(
        project_id, subject=subject, cursor=cursor, limit=limit
    )
    return Page.from_rows(rows, limit, key=lambda s: (s.started_at, s.id), convert=_schema)


async def stop(
    session: AsyncSession,
    backends: SessionBackends,
    principal: Principal,
    *,
    project_id: uuid.UUID,
    session_id: uuid.UUID,
) -> schemas.Session:
    """Its member (even with no live access left) or hub staff stop a session at once."""
    notebook = await SessionRepository(session).get(project_id, session_id)
    staff = Role.HUB_STAFF in principal.roles
    if notebook is None or not (staff or notebook.subject == principal.subject):
        raise NotFound(f"No session {session_id} in project {project_id}.")
    if notebook.status != STOPPED:
        await backends.hub.stop(notebook.subject, notebook.server_name)
        reason = notebook.stop_reason or "stopped"
        await _stopped(session, notebook, reason=reason, actor=principal.subject)
    return _schema(notebook)


async def end_access(
    session: AsyncSession,
    backends: SessionBackends | None,
    *,
    reason: str,
    project_id: uuid.UUID | None = None,
    subject: str | None = None,
    grant_id: uuid.UUID | None = None,
) -> int:
    """Mark for stopping the running sessions that lost their access; the sweeper stops them
    on the hub as soon as this transaction commits."""
    marked = await SessionRepository(session).end_access(
        reason=reason, project_id=project_id, subject=subject, grant_id=grant_id
    )
    if marked and backends is not None:
        wake = backends.wake
        event.listen(session.sync_session, "after_commit", lambda _: wake.set(), once=True)
    return marked


async def sweep(sessionmaker: async_sessionmaker[AsyncSession], hub: JupyterHub) -> int:
    """Stop on the hub the sessions marked for stopping or past their credentials' end."""
    async with sessionmaker.begin() as session:
        due = await SessionRepository(session).to_stop(now=datetime.now(UTC), limit=SWEEP_BATCH)
        for notebook in due:
            await hub.stop(notebook.subject, notebook.server_name)
            await _stopped(session, notebook, reason=notebook.stop_reason or "lapsed", actor=None)
    return len(due)


async def sweeping(
    sessionmaker: async_sessionmaker[AsyncSession], backends: SessionBackends
) -> None:
    """Sweep now and then, and at once when an event ended some access."""
    interval = backends.settings.workspace_session_sweep_seconds
    while True:
        try:
            while await sweep(sessionmaker, backends.hub) == SWEEP_BATCH:
                pass
        except Exception:
            logger.exception("sessions to stop stay marked; retrying in %s s", interval)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(backends.wake.wait(), timeout=interval)
        backends.wake.clear()


async def _stopped(
    session: AsyncSession, notebook: NotebookSession, *, reason: str, actor: str | None
) -> None:
    notebook.status, notebook.stop_reason = STOPPED, reason
    notebook.stopped_at = datetime.now(UTC)
    await session.flush()
    stopped = SessionStopped(
        session_id=notebook.id,
        project_id=notebook.project_id,
        subject=notebook.subject,
        reason=reason,
    )
    await _publish(session, SESSION_STOPPED, stopped, actor=actor)


async def _publish(
    session: AsyncSession, type_: str, payload: SessionStarted | SessionStopped, actor: str | None
) -> None:
    data = payload.model_dump(mode="json")
    await outbox.publish(
        session, type=type_, subject=str(payload.project_id), data=data, actor=actor
    )


def _schema(notebook: NotebookSession) -> schemas.Session:
    path = f"/user/{quote(notebook.subject, safe='')}/{notebook.server_name}/"
    return schemas.Session(
        id=notebook.id,
        project_id=notebook.project_id,
        subject=notebook.subject,
        status=notebook.status,
        path=path,
        grant_ids=notebook.grant_ids,
        started_at=notebook.started_at,
        expires_at=notebook.expires_at,
        stopped_at=notebook.stopped_at,
        stop_reason=notebook.stop_reason,
    )
