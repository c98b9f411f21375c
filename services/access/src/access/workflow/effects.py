"""What entering a state does beyond the state itself: thread, register, grants."""

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from access.grants import service as grants
from access.register import service as register
from access.requests.service import RequestInContext
from access.reviews.models import Message
from access.reviews.repository import ReviewRepository
from access.workflow.machine import State, Transition
from hdh_common.identity import Principal, Role


async def after(
    session: AsyncSession,
    transition: Transition,
    context: RequestInContext,
    *,
    principal: Principal,
    reason: str | None,
    now: datetime,
) -> None:
    request, target = context.request, transition.target
    if target is State.INFO_REQUESTED and reason:
        await ReviewRepository(session).add(
            Message(
                request_id=request.id,
                author=principal.subject,
                author_role=Role.HUB_STAFF,
                body=reason,
            )
        )
    elif target in (State.AUTHORISED, State.REJECTED):
        status = "authorised" if target is State.AUTHORISED else "refused"
        await register.publish_decision(
            session,
            request=request,
            project=context.project,
            status=status,
            justification=reason if transition.publishes_reason else None,
            now=now,
        )
    elif target is State.DATA_PREPARATION:
        members = [m.subject for m in context.project.members]
        if transition.name == "retry_preparation":
            await grants.reissue(session, request, members=members, actor=principal.subject)
        else:
            await grants.issue(session, request, members=members, now=now, actor=principal.subject)
    elif target is State.ACTIVE:
        await register.update_status(session, request.id, status="active", now=now)
    elif target in (State.CLOSED, State.WITHDRAWN):
        reason_text = "project closed" if target is State.CLOSED else "request withdrawn"
        await grants.end_for(session, request, reason=reason_text, now=now, actor=principal.subject)
        await register.update_status(session, request.id, status=target.value, now=now)
        if target is State.CLOSED:
            await grants.close_project_if_done(session, request, actor=principal.subject)
