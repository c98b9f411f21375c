"""Relations to a request: the applicant side, and the independent (four-eyes) side."""

from sqlalchemy.ext.asyncio import AsyncSession

from access.errors import ConflictOfInterest, FourEyes, NotApplicant
from access.requests.service import RequestInContext
from access.reviews.repository import ReviewRepository
from access.workflow.machine import Relation
from hdh_common.identity import Principal


def ensure_applicant(principal: Principal, context: RequestInContext) -> None:
    if not context.is_member:
        raise NotApplicant("Only a member of the request's project may do this.")


async def ensure_independent(
    session: AsyncSession, principal: Principal, context: RequestInContext
) -> None:
    if context.is_member or context.request.filed_by == principal.subject:
        raise FourEyes("You filed this request or belong to its project; someone else decides.")
    if await ReviewRepository(session).conflicted(context.request.id, principal.subject):
        raise ConflictOfInterest("You declared a conflict of interest on this request.")


async def ensure_relation(
    session: AsyncSession, principal: Principal, context: RequestInContext, relation: Relation
) -> None:
    if relation is Relation.APPLICANT:
        ensure_applicant(principal, context)
    else:
        await ensure_independent(session, principal, context)
