"""``/problems/<slug>``: what each stable problem ``type`` of the common tree and the gateway
means (services' own types are documented in their OpenAPI)."""

from fastapi import APIRouter
from pydantic import BaseModel, Field

from gateway import errors  # noqa: F401  (registers the gateway's problems in the tree)
from hdh_common.errors import AppError, NotFound, problem_responses, problem_type

router = APIRouter(tags=["operations"])


class ProblemType(BaseModel):
    type: str = Field(examples=["/problems/not-found"])
    title: str = Field(examples=["Not found"])
    status: int = Field(examples=[404])


def _known(base: type[AppError] = AppError) -> dict[str, type[AppError]]:
    found = {base.slug: base}
    for subclass in base.__subclasses__():
        found |= _known(subclass)
    return found


@router.get(
    "/problems/{slug}",
    response_model=ProblemType,
    summary="Describe a problem type",
    responses=problem_responses(NotFound),
)
async def describe(slug: str) -> ProblemType:
    error = _known().get(slug)
    if error is None:
        raise NotFound(f"No problem type {slug!r} is defined by the gateway or the common tree.")
    return ProblemType(type=problem_type(error.slug), title=error.title, status=error.status)
