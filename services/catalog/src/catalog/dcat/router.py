from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request, Response

from catalog.datasets.dependencies import DatasetFromPath
from catalog.datasets.visibility import Visibility, VisibilityDep
from catalog.dcat import service
from catalog.dcat.feed import fresh
from catalog.dcat.graph import Site
from catalog.dependencies import SettingsDep
from catalog.errors import NotAcceptable
from hdh_common.db import SessionDep
from hdh_common.errors import NotFound, Unauthorized, problem_responses

router = APIRouter(prefix="/catalog", tags=["dcat"])
_CONTENT: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "DCAT-AP 3 / HealthDCAT-AP",
        "content": {service.JSON_LD: {}, service.TURTLE: {}},
    },
    304: {"description": "Not modified: the `If-None-Match` tag is the current one."},
}


def site(settings: SettingsDep) -> Site:
    return Site(
        base_uri=settings.catalog_base_uri,
        hdab_name=settings.catalog_hdab_name,
        hdab_email=settings.catalog_hdab_email,
    )


SiteDep = Annotated[Site, Depends(site)]
AcceptHeader = Annotated[str | None, Header()]
IfNoneMatch = Annotated[str | None, Header()]


def feed_url(request: Request) -> str:
    """The feed's address as the caller reached it: through the gateway, its host and scheme."""
    host = request.headers.get("x-forwarded-host") or request.url.netloc
    scheme = request.headers.get("x-forwarded-proto") or request.url.scheme
    return f"{scheme}://{host}{request.url.path}"


def cached(
    feed: service.Feed,
    *,
    site: Site,
    media_type: str,
    visibility: Visibility,
    if_none_match: str | None,
) -> Response:
    """The feed with its ETag, or 304 (nothing serialised); shared caches keep only what
    anyone may read."""
    tag = feed.tag(site, media_type)
    scope = "private, no-cache" if visibility != Visibility() else "public, max-age=60"
    headers = {"ETag": tag, "Cache-Control": scope, "Vary": "Accept, Authorization"}
    if fresh(if_none_match, tag):
        return Response(status_code=304, headers=headers)
    body = service.serialise(feed.graph(site), media_type)
    return Response(body, media_type=media_type, headers=headers)


@router.get(
    "/dcat",
    response_class=Response,
    summary="The catalogue as DCAT-AP (JSON-LD or Turtle by Accept), in pages (no login)",
    description=(
        "Open to anyone: the published datasets (drafts only for hub staff and their "
        "producers), by slug, `catalog_dcat_page_size` a page; each page is a hydra "
        "`PagedCollection` naming the first, last, previous and next pages, as ckanext-dcat "
        "serves it. An `ETag` comes with each page; `If-None-Match` with it answers 304."
    ),
    responses=_CONTENT | problem_responses(Unauthorized, NotFound, NotAcceptable),
)
async def catalog_dcat(
    request: Request,
    session: SessionDep,
    visibility: VisibilityDep,
    site: SiteDep,
    settings: SettingsDep,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    accept: AcceptHeader = None,
    if_none_match: IfNoneMatch = None,
) -> Response:
    media_type = service.negotiate(accept)
    feed = await service.catalog_feed(
        session, visibility, url=feed_url(request), page=page, size=settings.catalog_dcat_page_size
    )
    return cached(
        feed, site=site, media_type=media_type, visibility=visibility, if_none_match=if_none_match
    )


@router.get(
    "/datasets/{dataset_id}/dcat",
    response_class=Response,
    summary="A dataset as DCAT-AP (JSON-LD or Turtle by Accept), with its ETag (no login)",
    responses=_CONTENT | problem_responses(Unauthorized, NotFound, NotAcceptable),
)
async def dataset_dcat(
    session: SessionDep,
    dataset: DatasetFromPath,
    visibility: VisibilityDep,
    site: SiteDep,
    accept: AcceptHeader = None,
    if_none_match: IfNoneMatch = None,
) -> Response:
    media_type = service.negotiate(accept)
    feed = await service.dataset_feed(session, dataset)
    return cached(
        feed, site=site, media_type=media_type, visibility=visibility, if_none_match=if_none_match
    )
