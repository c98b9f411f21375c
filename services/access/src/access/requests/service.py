import uuid
from dataclasses import dataclass
from datetime import date

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from access.errors import (
    InvalidRequestContent,
    LinkageColumnNotAsked,
    LinkageKeyNotPseudonymised,
    NotApplicant,
    StaleVersion,
    UnknownDataset,
    UnknownVariable,
    WrongState,
)
from access.projects.models import Project, member_role
from access.projects.repository import ProjectRepository
from access.requests import schemas
from access.requests.models import AccessRequest, RequestDataset
from access.requests.repository import RequestRepository
from hdh_common.errors import Forbidden, NotFound
from hdh_common.identity import Principal, Role
from hdh_common.pagination import Page

OVERSIGHT = (Role.HUB_STAFF, Role.COMMITTEE_MEMBER, Role.REGULATOR, Role.AUDITOR, Role.SYSTEM)
OVERDUE_READERS = (Role.HUB_STAFF, Role.AUDITOR)


@dataclass(frozen=True)
class RequestInContext:
    """A request with its project, as one principal may see it."""

    request: AccessRequest
    project: Project
    is_member: bool


def to_schema(request: AccessRequest) -> schemas.AccessRequest:
    return schemas.AccessRequest(
        id=request.id,
        project_id=request.project_id,
        state=request.state,
        version=request.version,
        legal_basis=schemas.LegalBasis(
            kind=request.legal_basis,  # type: ignore[arg-type]
            methodology=request.methodology,  # type: ignore[arg-type]
        ),
        datasets=[
            schemas.DatasetAsk(dataset_id=d.dataset_id, variables=d.variables)  # type: ignore[arg-type]
            for d in request.datasets
        ],
        period_start=request.period_start,
        period_end=request.period_end,
        expected_duration_months=request.expected_duration_months,
        linkage=[schemas.LINKAGE_NEED.validate_python(n) for n in request.linkage],
        amends_request_id=request.amends_id,
        filed_by=request.filed_by,
        due_on=request.due_on,
        clock_paused=request.paused_days_left is not None,
        review_round=request.review_round,
        paused_days_left=request.paused_days_left,
        state_entered_at=request.state_entered_at,
        created_at=request.created_at,
    )


async def create(
    session: AsyncSession, principal: Principal, payload: schemas.RequestCreate
) -> AccessRequest:
    project = await ProjectRepository(session).get(payload.project_id)
    if project is None or member_role(project, principal.subject) is None:
        raise NotFound(f"No project with id {payload.project_id}.")
    repository = RequestRepository(session)
    await _check_against_catalogue(repository, payload)
    if payload.amends_request_id is not None:
        await _check_amended(repository, payload)
    request = AccessRequest(
        project_id=project.id,
        legal_basis=payload.legal_basis.kind,
        methodology=payload.legal_basis.methodology,
        period_start=payload.period_start,
        period_end=payload.period_end,
        expected_duration_months=payload.expected_duration_months,
        linkage=[n.model_dump(mode="json") for n in payload.linkage],
        amends_id=payload.amends_request_id,
        filed_by=principal.subject,
    )
    request.datasets = _datasets(payload.datasets)
    return await repository.add(request)


EDITABLE_STATES = ("draft", "info_requested")


async def update(
    session: AsyncSession,
    principal: Principal,
    context: RequestInContext,
    payload: schemas.RequestUpdate,
) -> AccessRequest:
    request = context.request
    if not context.is_member:
        raise NotApplicant("Only a member of the request's project may change it.")
    if request.state not in EDITABLE_STATES:
        raise WrongState(
            f"A request can be changed only as a draft or when asked for information; "
            f"this one is {request.state}.",
            current_state=request.state,
            required_states=list(EDITABLE_STATES),
        )
    if payload.version != request.version:
        raise StaleVersion(
            f"The request is at version {request.version}; reload it and retry.",
            current_version=request.version,
        )
    merged = _merged_content(request, payload)
    await _check_against_catalogue(RequestRepository(session), merged)
    _apply_content(request, merged)
    request.version += 1
    try:
        await session.flush()
    except StaleDataError:
        raise StaleVersion("Someone else changed the request at the same time.") from None
    return request


def _merged_content(
    request: AccessRequest, payload: schemas.RequestUpdate
) -> schemas.RequestCreate:
    current = to_schema(request).model_dump(mode="json")
    changes = payload.model_dump(mode="json", exclude_unset=True, exclude={"version"})
    try:
        return schemas.RequestCreate.model_validate(
            {k: current[k] for k in CONTENT_FIELDS}
            | changes
            | {"project_id": str(request.project_id), "amends_request_id": None}
        )
    except ValidationError as exc:
        raise InvalidRequestContent(
            "The changed request is not consistent.",
            errors=[
                {"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]} for e in exc.errors()
            ],
        ) from exc


CONTENT_FIELDS = (
    "datasets",
    "period_start",
    "period_end",
    "expected_duration_months",
    "linkage",
    "legal_basis",
)


def _apply_content(request: AccessRequest, content: schemas.RequestCreate) -> None:
    request.legal_basis = content.legal_basis.kind
    request.methodology = content.legal_basis.methodology
    request.period_start, request.period_end = content.period_start, content.period_end
    request.expected_duration_months = content.expected_duration_months
    request.linkage = [n.model_dump(mode="json") for n in content.linkage]
    request.datasets = _datasets(content.datasets)


def _datasets(datasets: list[schemas.DatasetAsk]) -> list[RequestDataset]:
    return [
        RequestDataset(
            dataset_id=d.dataset_id, position=i, variables=[v.model_dump() for v in d.variables]
        )
        for i, d in enumerate(datasets)
    ]


async def _check_against_catalogue(
    repository: RequestRepository, content: schemas.RequestCreate
) -> None:
    datasets = content.datasets
    asked = [d.dataset_id for d in datasets]
    unknown = [str(i) for i in asked if i not in await repository.known_datasets(asked)]
    if unknown:
        raise UnknownDataset(
            f"The catalogue has no dataset {', '.join(unknown)}.", unknown_datasets=unknown
        )
    known = await repository.known_variables(asked)
    missing = [
        {"dataset_id": str(d.dataset_id), "table": v.table, "name": v.name}
        for d in datasets
        for v in d.variables
        if (d.dataset_id, v.table, v.name) not in known
    ]
    if missing:
        names = ", ".join(f"{m['table']}.{m['name']}" for m in missing)
        raise UnknownVariable(
            f"The catalogue has no variable {names} in the dataset asked for.",
            unknown_variables=missing,
        )
    for position, need in enumerate(content.linkage, start=1):
        _check_linkage(position, need, datasets, known)


PERSON_IDENTIFIERS = frozenset({"nir", "national_pseudonym", "direct"})
"""Identifier kinds pseudonymised per person: what a linkage keys persons by."""


def _check_linkage(
    position: int,
    need: schemas.DeterministicLinkage | schemas.ProbabilisticLinkage,
    datasets: list[schemas.DatasetAsk],
    known: dict[tuple[uuid.UUID, str, str], str | None],
) -> None:
    """Every column the need reads is asked for; persons are keyed by pseudonymised
    identifiers (as far as the catalogue has said: a kind not yet known is not refused)."""
    asked = {(d.dataset_id, v.table, v.name) for d in datasets for v in d.variables}
    for dataset, table, column in need.columns():
        if not _asked_as(asked, dataset, table, column):
            raise LinkageColumnNotAsked(
                f"Linkage {position} reads {table or 'a table'}.{column} of dataset {dataset},"
                " which the request does not ask for.",
                linkage=position,
                dataset_id=str(dataset),
                column=column,
            )
    for dataset, table, column in need.person_keys():
        kinds = {known[a] for a in _asked_as(asked, dataset, table, column)} - {None}
        if kinds - PERSON_IDENTIFIERS:
            raise LinkageKeyNotPseudonymised(
                f"Linkage {position} keys persons by {column} of dataset {dataset}, which the"
                " catalogue does not declare as a pseudonymised identifier (a NIR, a national"
                " pseudonym or another direct identifier).",
                linkage=position,
                dataset_id=str(dataset),
                column=column,
            )


def _asked_as(
    asked: set[tuple[uuid.UUID, str, str]], dataset: uuid.UUID, table: str | None, column: str
) -> list[tuple[uuid.UUID, str, str]]:
    """The variables asked that are ``column`` of ``dataset`` (of ``table``, or of any)."""
    return [a for a in asked if a[0] == dataset and a[2] == column and table in (None, a[1])]


async def _check_amended(repository: RequestRepository, payload: schemas.RequestCreate) -> None:
    amended = await repository.get(payload.amends_request_id)  # type: ignore[arg-type]
    if amended is None or amended.project_id != payload.project_id:
        raise InvalidRequestContent("The amended request is not one of this project's.")
    if amended.state != "active":
        raise InvalidRequestContent(
            f"Only an active request can be amended; this one is {amended.state}."
        )


async def get_in_context(
    session: AsyncSession, principal: Principal, request_id: uuid.UUID
) -> RequestInContext:
    """The request if ``principal`` may know of it, else 404 (whether or not it exists)."""
    request = await RequestRepository(session).get(request_id)
    project = None if request is None else await ProjectRepository(session).get(request.project_id)
    if request is None or project is None:
        raise NotFound(f"No access request with id {request_id}.")
    is_member = member_role(project, principal.subject) is not None
    if not is_member and not await _reviewer_may_read(session, principal, request):
        raise NotFound(f"No access request with id {request_id}.")
    return RequestInContext(request=request, project=project, is_member=is_member)


async def _reviewer_may_read(
    session: AsyncSession, principal: Principal, request: AccessRequest
) -> bool:
    """A reviewer reads a request once submitted, unless they declared a conflict of interest."""
    if request.state == "draft" or not principal.has_any(*OVERSIGHT):
        return False
    return not await RequestRepository(session).conflicted(request.id, principal.subject)


async def page(
    session: AsyncSession,
    principal: Principal,
    *,
    project_id: uuid.UUID | None,
    state: str | None,
    overdue: bool,
    today: date,
    cursor: str | None,
    limit: int,
) -> Page[schemas.AccessRequest]:
    oversight = principal.has_any(*OVERSIGHT)
    follower = _follower(principal, oversight=oversight)
    if overdue and not principal.has_any(*OVERDUE_READERS):
        raise Forbidden("Only hub staff and auditors list overdue requests.")
    rows = await RequestRepository(session).page(
        member=None if oversight or follower else principal.subject,
        conflicted=principal.subject if oversight else None,
        include_drafts=not oversight and not follower,
        organisation=follower,
        project_id=project_id,
        state=state,
        overdue_on=today if overdue else None,
        cursor=cursor,
        limit=limit,
    )
    return Page.from_rows(rows, limit, key=lambda r: (r.created_at, r.id), convert=to_schema)


def _follower(principal: Principal, *, oversight: bool) -> str | None:
    """The organisation whose filed requests a partner system follows (no drafts, no file)."""
    if oversight or Role.RESEARCHER in principal.roles:
        return None
    if Role.PARTNER in principal.roles and principal.organisation:
        return principal.organisation
    raise Forbidden("Only researchers, reviewers and partner systems list access requests.")


async def history(
    session: AsyncSession, context: RequestInContext, *, cursor: str | None, limit: int
) -> Page[schemas.Transition]:
    rows = await RequestRepository(session).history(context.request.id, cursor=cursor, limit=limit)
    return Page.from_rows(
        rows, limit, key=lambda t: (t.id,), convert=schemas.Transition.model_validate
    )


async def stats(session: AsyncSession, principal: Principal, *, today: date) -> schemas.Stats:
    if not principal.has_any(*OVERDUE_READERS):
        raise Forbidden("Only hub staff and auditors read the statistics.")
    repository = RequestRepository(session)
    steps = [
        schemas.StepStats(state=state, count=count, median_days=median)
        for state, count, median in await repository.step_durations()
    ]
    return schemas.Stats(
        per_state=await repository.count_per_state(),
        steps=steps,
        overdue=await repository.count_overdue(today),
    )
