import json
from dataclasses import dataclass

from rdflib import Graph
from sqlalchemy.ext.asyncio import AsyncSession

from catalog.datasets.models import Dataset
from catalog.datasets.repository import DatasetRepository
from catalog.datasets.visibility import Visibility
from catalog.dcat.feed import Paging, add_paging, etag
from catalog.dcat.graph import Site, add_catalog, add_dataset, new_graph
from catalog.dcat.repository import DcatRepository, Holdings
from catalog.errors import NotAcceptable
from hdh_common.errors import NotFound

TURTLE = "text/turtle"
JSON_LD = "application/ld+json"
_FORMATS = {TURTLE: "turtle", JSON_LD: "json-ld", "application/json": "json-ld"}


def negotiate(accept: str | None) -> str:
    """The media type to answer with: Turtle or JSON-LD (the default)."""
    if not accept:
        return JSON_LD
    for part in accept.split(","):
        media = part.split(";")[0].strip().lower()
        if media in _FORMATS:
            return TURTLE if media == TURTLE else JSON_LD
        if media in ("*/*", "application/*", "text/*"):
            return TURTLE if media == "text/*" else JSON_LD
    raise NotAcceptable("This resource is served as text/turtle or application/ld+json.")


def serialise(graph: Graph, media_type: str) -> bytes:
    return graph.serialize(format=_FORMATS[media_type], encoding="utf-8")


@dataclass(frozen=True)
class Feed:
    """Datasets with what the catalogue holds about them, and the page they make, if any."""

    entries: list[tuple[Dataset, Holdings]]
    paging: Paging | None = None

    def tag(self, site: Site, media_type: str) -> str:
        """An ETag of what the answer says: it changes with any dataset's record (revision,
        status, edit time), its validated versions, the page and the media type."""
        state = [
            media_type,
            vars(site),
            vars(self.paging) if self.paging else None,
            [
                [d.id, d.revision, d.status, d.updated_at, sorted(h.latest_rows.items()),
                 h.validated_versions, h.last_validated]
                for d, h in self.entries
            ],
        ]  # fmt: skip
        return etag(json.dumps(state, default=str).encode())

    def graph(self, site: Site) -> Graph:
        graph = new_graph()
        if self.paging is None:
            for dataset, holdings in self.entries:
                add_dataset(graph, site, dataset, holdings)
            return graph
        add_catalog(graph, site, self.entries)
        add_paging(graph, self.paging)
        return graph


async def dataset_feed(session: AsyncSession, dataset: Dataset) -> Feed:
    holdings = await DcatRepository(session).holdings([dataset.id])
    return Feed([(dataset, holdings[dataset.id])])


async def catalog_feed(
    session: AsyncSession, visibility: Visibility, *, url: str, page: int, size: int
) -> Feed:
    """One page of the catalogue: the datasets the caller sees, by slug, and the paging."""
    repository = DatasetRepository(session)
    paging = Paging(
        url=url, page=page, size=size, total=await repository.count_seen(visibility.clause())
    )
    if page > paging.last:
        raise NotFound(f"The feed has {paging.last} page(s).")
    datasets = await repository.slice_seen(
        visibility.clause(), offset=paging.offset, limit=paging.size
    )
    holdings = await DcatRepository(session).holdings([d.id for d in datasets])
    return Feed([(d, holdings[d.id]) for d in datasets], paging)
