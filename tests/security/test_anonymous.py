"""Without a login, through the gateway: the open catalogue (published datasets, their
dictionary, nomenclatures, search, the DCAT feed) and the public tables of the access
service answer; a draft does not exist for an anonymous caller nor for a researcher, while
its producer and hub staff see it; and every other operation of the aggregated OpenAPI is
refused with 401 before it reaches a service."""

import uuid
from typing import Any

import httpx
import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import RDF

from gateway.config import SERVICES
from gateway.proxy.routes import PublicRoutes
from hdh_dev.testing import Platform, bearer

PAGED = URIRef("http://www.w3.org/ns/hydra/core#PagedCollection")
TABLE = {
    "name": "SEJOUR_OUVERT",
    "fields": [
        {"name": "SEJ_ENTREE", "type": "date", "description": "Date d'entrée du séjour"},
        {"name": "SEJ_SORTIE", "type": "date", "description": "Date de sortie du séjour"},
    ],
    "orderRules": [{"before": "SEJ_ENTREE", "after": "SEJ_SORTIE"}],
}


@pytest.fixture(scope="module")
def platform_overrides() -> dict[str, Any]:
    return {"rate_limit_ip_rate": 0, "rate_limit_subject_rate": 0}


def concrete(path: str) -> str:
    return "/".join(str(uuid.uuid4()) if p.startswith("{") else p for p in path.split("/"))


async def test_anonymous_reaches_only_the_public_routes(platform: Platform) -> None:
    public = PublicRoutes(platform.gateway_settings.public_routes)
    async with httpx.AsyncClient(base_url=platform.url, timeout=30) as client:
        spec = (await client.get("/openapi.json")).json()
        wrong = []
        for path, item in spec["paths"].items():
            if path.split("/")[1] not in SERVICES:
                continue  # the gateway's own probes, problem types and dev issuer
            for method in ("get", "post", "put", "patch", "delete"):
                if method not in item:
                    continue
                url = concrete(path)
                response = await client.request(method.upper(), url)
                opened = public.admit(method.upper(), url)
                if (response.status_code == 401) == opened or response.status_code >= 500:
                    wrong.append(f"{method.upper()} {path}: {response.status_code}")
    assert wrong == []
    assert sum(public.admit("GET", concrete(p)) for p in spec["paths"]) >= 14


async def test_the_published_catalogue_is_open_and_a_draft_hidden(platform: Platform) -> None:
    tokens = {
        user: bearer(await platform.token(user)) for user in ("paul", "sara", "alice", "bruno")
    }
    async with httpx.AsyncClient(base_url=platform.url, timeout=30) as client:
        ids = {}
        for slug in ("catalogue-ouvert", "catalogue-brouillon"):
            body = {"slug": slug, "title": f"Séjours {slug}", "publisher": "aphp"}
            created = await client.post("/catalog/datasets", json=body, headers=tokens["paul"])
            assert created.status_code == 201, created.text
            ids[slug] = created.json()["id"]
            params = {"dataset_id": ids[slug]}
            imported = await client.post(
                "/catalog/import/table-schema", json=TABLE, params=params, headers=tokens["paul"]
            )
            assert imported.status_code == 200, imported.text
        opened, draft = ids["catalogue-ouvert"], ids["catalogue-brouillon"]
        published = await client.post(f"/catalog/datasets/{opened}/publish", headers=tokens["sara"])
        assert published.status_code == 200, published.text

        anonymous = await open_reads(client, opened, {})
        assert opened in anonymous["datasets"] and draft not in anonymous["datasets"]
        assert opened in anonymous["hits"] and draft not in anonymous["hits"]
        assert anonymous["table"]["order_rules"][0]["after"]["field"] == "SEJ_SORTIE"
        for who in ("alice", "bruno"):
            seen = (await open_reads(client, opened, tokens[who]))["datasets"]
            assert opened in seen and draft not in seen, who

        for who, headers in (("anonymous", {}), ("alice", tokens["alice"]),
                             ("bruno", tokens["bruno"])):  # fmt: skip
            for path in (f"/catalog/datasets/{draft}", f"/catalog/datasets/{draft}/tables",
                         f"/catalog/datasets/{draft}/dcat"):  # fmt: skip
                hidden = await client.get(path, headers=headers)
                assert hidden.status_code == 404, (who, path, hidden.text)
                assert hidden.headers["content-type"] == "application/problem+json"
        for who in ("paul", "sara"):
            seen = await client.get(f"/catalog/datasets/{draft}", headers=tokens[who])
            assert (seen.status_code, seen.json()["status"]) == (200, "draft"), who
            listed = await client.get("/catalog/datasets", headers=tokens[who])
            assert draft in {d["id"] for d in listed.json()["items"]}, who

        refused = [
            await client.post("/catalog/datasets", json={"slug": "x"}),
            await client.get(f"/catalog/datasets/{opened}/tables/SEJOUR_OUVERT/sample"),
            await client.get("/catalog/basket"),
        ]
        assert [r.status_code for r in refused] == [401, 401, 401]


async def open_reads(
    client: httpx.AsyncClient, dataset_id: str, headers: dict[str, str]
) -> dict[str, Any]:
    """What a caller reads of the open catalogue: datasets listed, search hits, the feed."""
    listed = await client.get("/catalog/datasets", params={"limit": 100}, headers=headers)
    assert listed.status_code == 200, listed.text
    base = f"/catalog/datasets/{dataset_id}"
    for path in (base, f"{base}/tables", f"{base}/tables/SEJOUR_OUVERT/variables",
                 f"{base}/graph", "/catalog/nomenclatures", "/access/workflow"):  # fmt: skip
        response = await client.get(path, headers=headers)
        assert response.status_code == 200, (path, response.text)
    table = (await client.get(f"{base}/tables/SEJOUR_OUVERT", headers=headers)).json()
    found = await client.get("/catalog/search", params={"q": "SEJ_SORTIE"}, headers=headers)
    assert found.status_code == 200, found.text
    feed = await client.get("/catalog/dcat", headers=headers | {"Accept": "text/turtle"})
    assert feed.status_code == 200, feed.text
    graph = Graph().parse(data=feed.text, format="turtle")
    assert next(graph.subjects(RDF.type, PAGED), None) is not None
    again = await client.get(
        "/catalog/dcat",
        headers=headers | {"Accept": "text/turtle", "If-None-Match": feed.headers["etag"]},
    )
    assert again.status_code == 304
    return {
        "datasets": {d["id"] for d in listed.json()["items"]},
        "hits": {h["dataset_id"] for h in found.json()["items"]},
        "table": table,
    }
