"""Taking a transition: the only code that changes a request's state."""

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from access.calendar.legal_clock import ClockState, advance, legal_day
from access.config import Settings
from access.db import outbox
from access.errors import GuardFailed, IllegalTransition, ReasonRequired, StaleVersion
from access.events import RequestMoved
from access.requests.models import RequestTransition
from access.requests.service import RequestInContext
from access.reviews.repository import ReviewRepository
from access.workflow import effects
from access.workflow.machine import TRANSITIONS, State, Transition, available_from
from access.workflow.policy import ensure_relation
from access.workflow.schemas import TransitionCreate, TransitionRule
from hdh_common.errors import Forbidden
from hdh_common.identity import Principal


def _illegal(transition: Transition, state: State) -> IllegalTransition:
    allowed = available_from(state)
    return IllegalTransition(
        f"'{transition.name}' is not possible from {state}; possible: "
        f"{', '.join(t.name for t in allowed) or 'nothing (final state)'}.",
        current_state=state,
        allowed_transitions=[t.name for t in allowed],
        allowed_states=sorted({t.target for t in allowed}),
    )


async def _check(
    session: AsyncSession,
    principal: Principal,
    context: RequestInContext,
    transition: Transition,
    payload: TransitionCreate,
) -> None:
    request = context.request
    if not principal.has_any(*transition.roles):
        raise Forbidden(
            f"'{transition.name}' needs one of the roles: {', '.join(sorted(transition.roles))}."
        )
    state = State(request.state)
    if state not in transition.sources:
        raise _illegal(transition, state)
    await ensure_relation(session, principal, context, transition.relation)
    if payload.version != request.version:
        raise StaleVersion(
            f"The request is at version {request.version}; reload it and retry.",
            current_state=state,
            current_version=request.version,
        )
    if transition.reason_required and not payload.reason:
        raise ReasonRequired(f"'{transition.name}' needs a reason text.")
    if transition.guard is not None:
        evidence = await ReviewRepository(session).evidence(request)
        failure = transition.guard(evidence)
        if failure is not None:
            raise GuardFailed(failure, current_state=state, transition=transition.name)


async def take(
    session: AsyncSession,
    principal: Principal,
    context: RequestInContext,
    payload: TransitionCreate,
    *,
    now: datetime,
    settings: Settings,
) -> None:
    transition = TRANSITIONS[payload.transition]
    await _check(session, principal, context, transition, payload)
    request = context.request
    source = request.state
    clock = advance(
        transition.clock,
        ClockState(request.due_on, request.paused_days_left),
        today=legal_day(now),
        settings=settings,
    )
    if transition.target is State.COMMITTEE_REVIEW:
        request.review_round += 1
    request.state = transition.target
    request.due_on, request.paused_days_left = clock.due_on, clock.paused_days_left
    request.state_entered_at = now
    request.version += 1
    try:
        await session.flush()
    except StaleDataError:
        raise StaleVersion(
            "Someone else changed the request at the same time; reload it and retry."
        ) from None
    reason = payload.reason or None
    session.add(
        RequestTransition(
            request_id=request.id,
            transition=transition.name,
            from_state=source,
            to_state=transition.target,
            actor=principal.subject,
            reason=reason,
            due_on=clock.due_on,
            at=now,
        )
    )
    await _publish(session, transition, context, source=source, reason=reason, actor=principal)
    await effects.after(session, transition, context, principal=principal, reason=reason, now=now)


async def _publish(
    session: AsyncSession,
    transition: Transition,
    context: RequestInContext,
    *,
    source: str,
    reason: str | None,
    actor: Principal,
) -> None:
    request = context.request
    moved = RequestMoved(
        request_id=request.id,
        project_id=request.project_id,
        transition=transition.name,
        from_state=source,
        to_state=transition.target.value,
        reason=reason,
        due_on=request.due_on,
        version=request.version,
        outcome="denied" if transition.target is State.REJECTED else None,
    )
    await outbox.publish(
        session,
        type=transition.event_type,
        subject=str(request.id),
        data=moved.model_dump(mode="json"),
        actor=actor.subject,
    )


def table() -> list[TransitionRule]:
    return [
        TransitionRule(
            name=t.name,
            from_states=sorted(t.sources),
            to_state=t.target,
            roles=sorted(t.roles),
            relation=t.relation,
            guard=t.guard.description if t.guard else None,
            reason_required=t.reason_required,
            clock=t.clock,
            event=t.event_type,
        )
        for t in TRANSITIONS.values()
    ]
