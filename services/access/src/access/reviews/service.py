import uuid

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from access.db import outbox
from access.documents.repository import DocumentRepository
from access.errors import InvalidRequestContent, OpinionFinal, WrongState
from access.events import (
    AGREEMENT_RECORDED,
    CONFLICT_DECLARED,
    DECISION_RECORDED,
    MESSAGE_SENT,
    OPINION_RECORDED,
    ConflictDeclared,
    MessageSent,
    ReviewRecorded,
)
from access.requests.service import RequestInContext
from access.reviews import schemas
from access.reviews.models import ConflictDeclaration, Decision, Message
from access.reviews.repository import ReviewRepository
from access.workflow.policy import ensure_independent
from hdh_common.errors import Conflict, Forbidden
from hdh_common.identity import Principal, Role
from hdh_common.pagination import Page

RECORD_EVENTS = {
    "opinion": OPINION_RECORDED,
    "regulator": DECISION_RECORDED,
    "data_holder_agreement": AGREEMENT_RECORDED,
    "data_use_agreement": AGREEMENT_RECORDED,
}


def _ensure_state(context: RequestInContext, *states: str) -> None:
    if context.request.state not in states:
        raise WrongState(
            f"Not possible while the request is {context.request.state}.",
            current_state=context.request.state,
            required_states=list(states),
        )


DOCUMENT_KINDS = {
    "opinion": "committee_opinion",
    "regulator": "regulator_decision",
    "data_holder_agreement": "signed_agreement",
    "data_use_agreement": "signed_agreement",
}


async def _check_document(
    session: AsyncSession, context: RequestInContext, document_id: uuid.UUID | None, kind: str
) -> None:
    if document_id is None:
        return
    document = await DocumentRepository(session).get(document_id)
    if document is None or document.request_id != context.request.id:
        raise InvalidRequestContent(f"No document {document_id} on this request.")
    if document.kind != DOCUMENT_KINDS[kind]:
        raise InvalidRequestContent(
            f"Document {document_id} is a {document.kind}, not a {DOCUMENT_KINDS[kind]}."
        )


async def _add(repository: ReviewRepository, decision: Decision) -> None:
    if decision.kind != "opinion":
        await repository.add(decision)
    elif not await repository.add_opinion(decision):
        raise _opinion_final(decision.round)


def _opinion_final(review_round: int | None) -> OpinionFinal:
    return OpinionFinal(
        f"The opinion of committee round {review_round} is recorded and final; hub staff open "
        "a new round (reopen_committee_review) with a reason.",
        review_round=review_round,
    )


async def _record(
    session: AsyncSession,
    principal: Principal,
    context: RequestInContext,
    *,
    kind: str,
    values: dict[str, object],
) -> Decision:
    document_id = values.get("document_id")
    await _check_document(session, context, document_id, kind)  # type: ignore[arg-type]
    decision = Decision(
        request_id=context.request.id, kind=kind, recorded_by=principal.subject, **values
    )
    await _add(ReviewRepository(session), decision)
    recorded = ReviewRecorded(
        request_id=context.request.id,
        record_id=decision.id,
        kind=kind,
        decision=decision.outcome,
        reference=decision.reference,
        decided_on=decision.decided_on,
        round=decision.round,
    )
    await _publish(session, principal, context, type_=RECORD_EVENTS[kind], payload=recorded)
    return decision


async def _publish(
    session: AsyncSession,
    principal: Principal,
    context: RequestInContext,
    *,
    type_: str,
    payload: BaseModel,
) -> None:
    await outbox.publish(
        session,
        type=type_,
        subject=str(context.request.id),
        data=payload.model_dump(mode="json"),
        actor=principal.subject,
    )


async def record_opinion(
    session: AsyncSession,
    principal: Principal,
    context: RequestInContext,
    payload: schemas.OpinionCreate,
) -> Decision:
    await ensure_independent(session, principal, context)
    _ensure_state(context, "committee_review")
    review_round = context.request.review_round
    if await ReviewRepository(session).opinion_recorded(context.request.id, review_round):
        raise _opinion_final(review_round)
    values = payload.model_dump() | {"round": review_round}
    return await _record(session, principal, context, kind="opinion", values=values)


async def record_regulator_decision(
    session: AsyncSession,
    principal: Principal,
    context: RequestInContext,
    payload: schemas.RegulatorDecisionCreate,
) -> Decision:
    await ensure_independent(session, principal, context)
    _ensure_state(context, "regulator_review")
    return await _record(session, principal, context, kind="regulator", values=payload.model_dump())


async def record_agreement(
    session: AsyncSession,
    principal: Principal,
    context: RequestInContext,
    payload: schemas.AgreementCreate,
) -> Decision:
    await ensure_independent(session, principal, context)
    _ensure_state(context, "authorised")
    values = payload.model_dump(exclude={"kind", "signed_on"})
    values |= {"outcome": "signed", "decided_on": payload.signed_on}
    return await _record(session, principal, context, kind=payload.kind, values=values)


async def records(
    session: AsyncSession, context: RequestInContext, *, cursor: str | None, limit: int
) -> Page[schemas.Record]:
    rows = await ReviewRepository(session).decision_page(
        context.request.id, cursor=cursor, limit=limit
    )
    return Page.from_rows(
        rows, limit, key=lambda r: (r.recorded_at, r.id), convert=schemas.Record.model_validate
    )


async def declare_conflict(
    session: AsyncSession,
    principal: Principal,
    context: RequestInContext,
    payload: schemas.ConflictCreate,
) -> ConflictDeclaration:
    repository = ReviewRepository(session)
    if await repository.conflicted(context.request.id, principal.subject):
        raise Conflict("You already declared a conflict of interest on this request.")
    declaration = ConflictDeclaration(
        request_id=context.request.id, subject=principal.subject, statement=payload.statement
    )
    await repository.add(declaration)
    await session.refresh(declaration, attribute_names=["declared_at"])
    declared = ConflictDeclared(request_id=context.request.id, subject=principal.subject)
    await _publish(session, principal, context, type_=CONFLICT_DECLARED, payload=declared)
    return declaration


async def post_message(
    session: AsyncSession,
    principal: Principal,
    context: RequestInContext,
    payload: schemas.MessageCreate,
) -> Message:
    if context.is_member:
        role = Role.RESEARCHER
    elif principal.has_any(Role.HUB_STAFF, Role.COMMITTEE_MEMBER):
        await ensure_independent(session, principal, context)
        role = Role.HUB_STAFF if Role.HUB_STAFF in principal.roles else Role.COMMITTEE_MEMBER
    else:
        raise Forbidden("Only the project's members, hub staff and the committee write here.")
    message = Message(
        request_id=context.request.id, author=principal.subject, author_role=role, body=payload.body
    )
    await ReviewRepository(session).add(message)
    await session.refresh(message, attribute_names=["created_at"])
    sent = MessageSent(message_id=message.id, request_id=context.request.id, author_role=role)
    await _publish(session, principal, context, type_=MESSAGE_SENT, payload=sent)
    return message


async def thread(
    session: AsyncSession, context: RequestInContext, *, cursor: str | None, limit: int
) -> Page[schemas.Message]:
    rows = await ReviewRepository(session).message_page(
        context.request.id, cursor=cursor, limit=limit
    )
    return Page.from_rows(
        rows, limit, key=lambda m: (m.created_at, m.id), convert=schemas.Message.model_validate
    )
