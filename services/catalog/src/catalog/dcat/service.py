from rdflib import Graph
from sqlalchemy.ext.asyncio import AsyncSession

from catalog.datasets.models import Dataset
from catalog.datasets.repository import DatasetRepository
from catalog.dcat.graph import Site, add_catalog, add_dataset, new_graph
from catalog.dcat.repository import DcatRepository
from catalog.errors import NotAcceptable

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


async def dataset_graph(session: AsyncSession, site: Site, dataset: Dataset) -> Graph:
    holdings = await DcatRepository(session).holdings([dataset.id])
    graph = new_graph()
    add_dataset(graph, site, dataset, holdings[dataset.id])
    return graph


async def catalog_graph(session: AsyncSession, site: Site) -> Graph:
    datasets = await DatasetRepository(session).all()
    holdings = await DcatRepository(session).holdings([d.id for d in datasets])
    graph = new_graph()
    add_catalog(graph, site, [(d, holdings[d.id]) for d in datasets])
    return graph
