import uuid
from typing import Annotated

from fastapi import APIRouter, Body

from hdh_common.db import SessionDep
from hdh_common.errors import (
    Forbidden,
    NotFound,
    ServiceUnavailable,
    Unauthorized,
    ValidationFailed,
    problem_responses,
)
from hdh_common.identity import Researcher
from hdh_common.service_client import ServiceClientDep
from hdh_common.storage import StoreDep
from workspace.dependencies import SettingsDep
from workspace.errors import AccessEnded
from workspace.queries import service
from workspace.queries.errors import (
    InvalidQuery,
    MeasureRefused,
    QueryLimitExceeded,
    UnknownColumn,
    UnknownTable,
)
from workspace.queries.schemas import QueryAnswer, QueryRequest

router = APIRouter(prefix="/workspace/projects", tags=["queries"])

EXAMPLE = {
    "tables": ["PEOPLE"],
    "filters": [{"column": "AGE", "op": ">=", "value": 18}],
    "group_by": [{"column": "SEX"}, {"column": "AGE", "bins": {"width": 20}}],
    "measures": [{"kind": "persons"}, {"kind": "sum", "column": "AMOUNT"}],
}


@router.post(
    "/{project_id}/queries",
    response_model=QueryAnswer,
    summary="An aggregate query on the project's tables, disclosure-controlled",
    description=(
        "Counts, sums, means and quantiles by up to three columns, over one table or tables"
        " joined on the project's pseudonyms. Cells with fewer persons than the threshold are"
        " suppressed with their complements, dominated magnitudes are suppressed, magnitudes"
        " are rounded; each suppressed cell says why. Minimum and maximum are never released."
        " Only the project's members may ask, under a live grant; a revocation stops a"
        " running query."
    ),
    responses=problem_responses(
        Unauthorized,
        Forbidden,
        AccessEnded,
        NotFound,
        UnknownTable,
        UnknownColumn,
        InvalidQuery,
        MeasureRefused,
        QueryLimitExceeded,
        ValidationFailed,
        ServiceUnavailable,
    ),
)
async def ask(
    project_id: uuid.UUID,
    query: Annotated[
        QueryRequest, Body(openapi_examples={"persons by sex and age": {"value": EXAMPLE}})
    ],
    session: SessionDep,
    principal: Researcher,
    access: ServiceClientDep,
    store: StoreDep,
    settings: SettingsDep,
) -> QueryAnswer:
    return await service.answer(session, access, store, settings, principal, project_id, query)
