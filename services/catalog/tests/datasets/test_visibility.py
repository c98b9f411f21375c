"""The open catalogue, service side: a published dataset, its dictionary, its place in search
and in the DCAT feed are open to an anonymous caller (the gateway's principal without a
role) and to every role; a draft is seen only by hub staff and the producers of its
publishing organisation, and does not exist for anyone else."""

import re
from dataclasses import dataclass

import httpx
import pytest
from rdflib import Graph, Literal
from rdflib.namespace import RDF

from catalog.dcat.vocabulary import DCAT, HYDRA
from catalog.main import create_app
from hdh_dev.testing import SettingsFactory, TokenFactory, bearer, running

PERSON = {
    "name": "PERSONNE_VISIBLE",
    "fields": [{"name": "PERS_ANNEE", "type": "year", "description": "Année de naissance"}],
}


@dataclass
class World:
    client: httpx.AsyncClient
    headers: dict[str, dict[str, str]]
    published: str
    draft: str


@pytest.fixture
async def world(make_settings: SettingsFactory, make_token: TokenFactory) -> World:
    def token(*roles: str, sub: str, org: str | None = None) -> dict[str, str]:
        return bearer(make_token("catalog", *roles, sub=sub, org=org))

    headers = {
        "anonymous": token(sub="anonymous"),
        "researcher": token("researcher", sub="alice", org="inserm"),
        "researcher_of_publisher": token("researcher", sub="bruno", org="aphp"),
        "other_producer": token("producer", sub="pierre", org="cnam"),
        "partner": token("partner", sub="partner-system", org="partner"),
        "producer": token("producer", sub="paul", org="aphp"),
        "hub_staff": token("hub_staff", sub="sara", org="hdh"),
    }
    settings = make_settings("catalog", catalog_dcat_page_size=1)
    async with running(create_app(settings)) as client:
        ids = []
        for slug in ("ouvert-visible", "brouillon-cache"):
            body = {"slug": slug, "title": f"Jeu {slug}", "publisher": "aphp"}
            created = await client.post("/catalog/datasets", json=body, headers=headers["producer"])
            assert created.status_code == 201, created.text
            ids.append(created.json()["id"])
            imported = await client.post(
                "/catalog/import/table-schema",
                params={"dataset_id": ids[-1]},
                json=PERSON,
                headers=headers["producer"],
            )
            assert imported.status_code == 200, imported.text
        published = await client.post(f"/catalog/datasets/{ids[0]}/publish",
                                      headers=headers["hub_staff"])  # fmt: skip
        assert published.status_code == 200, published.text
        yield World(client, headers, published=ids[0], draft=ids[1])


OUTSIDERS = ("anonymous", "researcher", "researcher_of_publisher", "other_producer", "partner")
INSIDERS = ("producer", "hub_staff")


def dataset_paths(dataset_id: str) -> list[str]:
    base = f"/catalog/datasets/{dataset_id}"
    table = f"{base}/tables/PERSONNE_VISIBLE"
    return [base, f"{base}/tables", table, f"{table}/variables", f"{base}/graph", f"{base}/dcat"]


async def feed_datasets(world: World, headers: dict[str, str]) -> set[str]:
    """The datasets of every page of the DCAT feed, following its next pages."""
    found: set[str] = set()
    page: str | None = "/catalog/dcat"
    while page:
        response = await world.client.get(page, headers=headers | {"Accept": "text/turtle"})
        assert response.status_code == 200, response.text
        graph = Graph().parse(data=response.text, format="turtle")
        found |= {str(d) for d in graph.subjects(RDF.type, DCAT.Dataset)}
        after = graph.value(next(graph.subjects(RDF.type, HYDRA.PagedCollection)), HYDRA.nextPage)
        page = str(after).split("/", 3)[-1] if after is not None else None
        page = f"/{page}" if page else None
    return found


async def test_a_published_dataset_is_open_to_everyone(world: World) -> None:
    for who, headers in world.headers.items():
        for path in dataset_paths(world.published):
            response = await world.client.get(path, headers=headers)
            assert response.status_code == 200, (who, path, response.text)
        listed = await world.client.get("/catalog/datasets", headers=headers)
        assert world.published in [d["id"] for d in listed.json()["items"]], who
        found = await world.client.get("/catalog/search", params={"q": "PERS_ANNEE"},
                                       headers=headers)  # fmt: skip
        assert {h["dataset_id"] for h in found.json()["items"]} >= {world.published}, who


async def test_a_draft_is_seen_by_its_producers_and_staff_only(world: World) -> None:
    for who, headers in world.headers.items():
        inside = who in INSIDERS
        for path in [*dataset_paths(world.draft), f"/catalog/datasets/{world.draft}/revisions"]:
            response = await world.client.get(path, headers=headers)
            assert response.status_code == (200 if inside else 404), (who, path, response.text)
            if not inside:
                assert response.headers["content-type"] == "application/problem+json"
        listed = await world.client.get("/catalog/datasets", headers=headers)
        assert (world.draft in [d["id"] for d in listed.json()["items"]]) is inside, who
        found = await world.client.get("/catalog/search", params={"q": "PERS_ANNEE"},
                                       headers=headers)  # fmt: skip
        hits = {h["dataset_id"] for h in found.json()["items"]}
        assert (world.draft in hits) is inside, who
        in_feed = {iri.rsplit("/", 1)[-1] for iri in await feed_datasets(world, headers)}
        assert in_feed == ({world.published, world.draft} if inside else {world.published}), who


async def test_a_researcher_cannot_put_a_draft_variable_in_a_basket(world: World) -> None:
    item = {"dataset_id": world.draft, "table": "PERSONNE_VISIBLE", "variable": "PERS_ANNEE"}
    refused = await world.client.post(
        "/catalog/basket/items", json=item, headers=world.headers["researcher"]
    )
    assert refused.status_code == 404, refused.text
    item["dataset_id"] = world.published
    added = await world.client.post(
        "/catalog/basket/items", json=item, headers=world.headers["researcher"]
    )
    assert added.status_code == 201, added.text


async def test_the_dcat_feed_is_paged_like_ckanext_dcat_and_cacheable(world: World) -> None:
    staff = world.headers["hub_staff"] | {"Accept": "text/turtle"}
    pages = []
    for page in (1, 2):
        response = await world.client.get("/catalog/dcat", params={"page": page}, headers=staff)
        assert response.status_code == 200, response.text
        assert response.headers["cache-control"] == "private, no-cache"
        pages.append(Graph().parse(data=response.text, format="turtle"))
    first, second = (
        next(g.subjects(RDF.type, HYDRA.PagedCollection)) for g in pages
    )  # one node per page, named by its own address
    assert re.fullmatch(r"http://[^/]+/catalog/dcat\?page=1", str(first))
    assert pages[0].value(first, HYDRA.totalItems) == Literal(2)
    assert pages[0].value(first, HYDRA.itemsPerPage) == Literal(1)
    assert pages[0].value(first, HYDRA.nextPage) == Literal(str(first)[:-1] + "2")
    assert pages[0].value(first, HYDRA.previousPage) is None
    assert pages[1].value(second, HYDRA.previousPage) == Literal(str(first))
    assert pages[1].value(second, HYDRA.lastPage) == Literal(str(second))
    assert pages[1].value(second, HYDRA.nextPage) is None
    datasets = [{str(d) for d in g.subjects(RDF.type, DCAT.Dataset)} for g in pages]
    assert len(datasets[0]) == len(datasets[1]) == 1 and datasets[0] != datasets[1]
    beyond = await world.client.get("/catalog/dcat", params={"page": 3}, headers=staff)
    assert beyond.status_code == 404

    anonymous = world.headers["anonymous"]
    feed = await world.client.get("/catalog/dcat", headers=anonymous)
    assert feed.headers["cache-control"] == "public, max-age=60"
    tag = feed.headers["etag"]
    again = await world.client.get("/catalog/dcat", headers=anonymous | {"If-None-Match": tag})
    assert (again.status_code, again.content, again.headers["etag"]) == (304, b"", tag)
    other = await world.client.get("/catalog/dcat", headers=anonymous | {"If-None-Match": '"x"'})
    assert other.status_code == 200 and other.headers["etag"] == tag
    as_turtle = anonymous | {"Accept": "text/turtle", "If-None-Match": tag}
    turtle = await world.client.get("/catalog/dcat", headers=as_turtle)
    assert turtle.status_code == 200 and turtle.headers["etag"] != tag
    publish = await world.client.post(f"/catalog/datasets/{world.draft}/publish", headers=staff)
    assert publish.status_code == 200, publish.text
    changed = await world.client.get("/catalog/dcat", headers=anonymous | {"If-None-Match": tag})
    assert changed.status_code == 200 and changed.headers["etag"] != tag
