from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Response

from catalog.datasets.dependencies import DatasetFromPath
from catalog.dcat import service
from catalog.dcat.graph import Site
from catalog.dependencies import SettingsDep
from catalog.errors import NotAcceptable
from hdh_common.db import SessionDep
from hdh_common.errors import NotFound, Unauthorized, problem_responses
from hdh_common.identity import PrincipalDep

router = APIRouter(prefix="/catalog", tags=["dcat"])
_CONTENT: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "DCAT-AP 3 / HealthDCAT-AP",
        "content": {service.JSON_LD: {}, service.TURTLE: {}},
    }
}


def site(settings: SettingsDep) -> Site:
    return Site(
        base_uri=settings.catalog_base_uri,
        hdab_name=settings.catalog_hdab_name,
        hdab_email=settings.catalog_hdab_email,
    )


SiteDep = Annotated[Site, Depends(site)]
AcceptHeader = Annotated[str | None, Header()]


@router.get(
    "/dcat",
    response_class=Response,
    summary="The whole catalogue as DCAT-AP (JSON-LD or Turtle by Accept)",
    responses=_CONTENT | problem_responses(Unauthorized, NotAcceptable),
)
async def catalog_dcat(
    session: SessionDep, principal: PrincipalDep, site: SiteDep, accept: AcceptHeader = None
) -> Response:
    media_type = service.negotiate(accept)
    graph = await service.catalog_graph(session, site)
    return Response(service.serialise(graph, media_type), media_type=media_type)


@router.get(
    "/datasets/{dataset_id}/dcat",
    response_class=Response,
    summary="A dataset as DCAT-AP (JSON-LD or Turtle by Accept)",
    responses=_CONTENT | problem_responses(Unauthorized, NotFound, NotAcceptable),
)
async def dataset_dcat(
    session: SessionDep, dataset: DatasetFromPath, site: SiteDep, accept: AcceptHeader = None
) -> Response:
    media_type = service.negotiate(accept)
    graph = await service.dataset_graph(session, site, dataset)
    return Response(service.serialise(graph, media_type), media_type=media_type)
