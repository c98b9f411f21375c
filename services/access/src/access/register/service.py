"""The public register, written by the workflow only: authorisations and refusals, then the
project's start and end. It shows what a public register shows: the project, its
organisation, the references of the opinion and of the decision, the datasets and the
categories of variables, the dates and the released outputs; never who the researchers are."""

import uuid
from collections import Counter
from datetime import datetime
from typing import Any, get_args

from sqlalchemy.ext.asyncio import AsyncSession

from access.calendar.legal_clock import legal_day
from access.catalog_refs.models import VariableRef
from access.grants.repository import GrantRepository
from access.projects.models import Project
from access.register import schemas
from access.register.models import RegisterEntry
from access.register.repository import RegisterRepository
from access.register.search import searchable
from access.requests.models import AccessRequest, RequestDataset
from access.reviews.repository import ReviewRepository
from hdh_common.pagination import Page

ENDED = ("closed", "withdrawn", "revoked", "expired")
IDENTIFIERS = ("nir", "national_pseudonym", "name", "direct")
DEMOGRAPHICS = ("birth_date", "sex")
CATEGORIES = get_args(schemas.VariableCategory)
Variables = dict[tuple[uuid.UUID, str, str], VariableRef]


async def publish_decision(
    session: AsyncSession,
    *,
    request: AccessRequest,
    project: Project,
    status: str,
    justification: str | None,
    now: datetime,
) -> None:
    repository = RegisterRepository(session)
    ids = [d.dataset_id for d in request.datasets]
    titles = await repository.dataset_titles(ids)
    variables = await repository.variables(ids)
    records = await ReviewRepository(session).current(request)
    opinion, regulator = records.get("opinion"), records.get("regulator")
    entry = RegisterEntry(
        request_id=request.id,
        project_title=project.title,
        lay_summary=project.lay_summary,
        organisation=project.organisation,
        purpose=project.purpose,
        datasets=[_dataset(d, titles.get(d.dataset_id, ""), variables) for d in request.datasets],
        legal_basis=request.methodology or "CNIL authorisation",
        committee_opinion_reference=opinion.reference if opinion else None,
        regulator_decision_reference=regulator.reference if regulator else None,
        status=status,
        decided_on=legal_day(now),
        justification=justification,
        published_at=now,
        updated_at=now,
        search_text=searchable(
            [project.title, project.lay_summary, project.purpose, project.organisation]
            + [titles.get(i, "") for i in ids]
        ),
    )
    await repository.put(entry)


def _dataset(asked: RequestDataset, title: str, variables: Variables) -> dict[str, Any]:
    tables = Counter(v["table"] for v in asked.variables)
    found = {
        _category(variables.get((asked.dataset_id, v["table"], v["name"]))) for v in asked.variables
    }
    return {
        "dataset_id": str(asked.dataset_id),
        "title": title,
        "tables": [{"name": name, "variables": count} for name, count in tables.items()],
        "categories": [c for c in CATEGORIES if c in found],
    }


def _category(variable: VariableRef | None) -> str:
    if variable is None:
        return "other"
    if variable.event_date:
        return "event_dates"
    if variable.identifier in IDENTIFIERS:
        return "identifier"
    return "demographics" if variable.identifier in DEMOGRAPHICS else "other"


async def update_status(
    session: AsyncSession, request_id: uuid.UUID, *, status: str, now: datetime
) -> None:
    """The line's new status; becoming active dates its start and its planned end (the
    grant's expiry), ending dates its close."""
    entry = await RegisterRepository(session).get(request_id)
    if entry is None:
        return
    entry.status, entry.updated_at = status, now
    if status == "active":
        grant = await GrantRepository(session).for_request(request_id)
        entry.started_on = legal_day(now)
        entry.ends_on = grant.expires_on if grant else None
    elif status in ENDED:
        entry.closed_on = legal_day(now)


async def page(
    session: AsyncSession, filters: schemas.RegisterFilters, *, cursor: str | None, limit: int
) -> Page[schemas.RegisterEntry]:
    rows = await RegisterRepository(session).page(filters, cursor=cursor, limit=limit)
    return Page.from_rows(
        rows,
        limit,
        key=lambda r: (r.published_at, r.request_id),
        convert=schemas.RegisterEntry.model_validate,
    )
