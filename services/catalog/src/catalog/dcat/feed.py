"""The catalogue's DCAT-AP feed in pages, as ckanext-dcat serves it, for harvesters (CKAN,
data.europa.eu, HealthData@EU): ``?page=N`` (from 1), each page a ``hydra:PagedCollection``
node naming the first, last, previous and next pages and the total; and cacheable: an ETag
over the page's bytes, 304 when ``If-None-Match`` names it.
"""

import hashlib
from dataclasses import dataclass
from urllib.parse import urlencode

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, XSD

from catalog.dcat.vocabulary import HYDRA


@dataclass(frozen=True)
class Paging:
    url: str
    """The feed's address as the caller reached it, without a query."""
    page: int
    size: int
    total: int

    @property
    def last(self) -> int:
        return max(1, -(-self.total // self.size))

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.size

    def link(self, page: int) -> str:
        return f"{self.url}?{urlencode({'page': page})}"


def add_paging(graph: Graph, paging: Paging) -> None:
    graph.bind("hydra", HYDRA)
    node = URIRef(paging.link(paging.page))
    graph.add((node, RDF.type, HYDRA.PagedCollection))
    graph.add((node, HYDRA.totalItems, Literal(paging.total, datatype=XSD.integer)))
    graph.add((node, HYDRA.itemsPerPage, Literal(paging.size, datatype=XSD.integer)))
    graph.add((node, HYDRA.firstPage, Literal(paging.link(1))))
    graph.add((node, HYDRA.lastPage, Literal(paging.link(paging.last))))
    if paging.page > 1:
        graph.add((node, HYDRA.previousPage, Literal(paging.link(paging.page - 1))))
    if paging.page < paging.last:
        graph.add((node, HYDRA.nextPage, Literal(paging.link(paging.page + 1))))


def etag(body: bytes) -> str:
    return f'"{hashlib.sha256(body).hexdigest()[:32]}"'


def fresh(if_none_match: str | None, tag: str) -> bool:
    """Whether the caller's copy is current (``If-None-Match`` holds the tag, or ``*``)."""
    if not if_none_match:
        return False
    offered = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
    return tag in offered or "*" in offered
