import uuid

import httpx
import pytest

from hdh_common.pagination import encode_cursor
from hdh_dev.testing import TokenFactory, bearer

PROBLEM = "application/problem+json"


def dataset(slug: str = "snds-dcir", publisher: str = "cnam") -> dict[str, str]:
    return {"slug": slug, "title": "DCIR", "description": "Soins de ville", "publisher": publisher}


@pytest.fixture
def producer(make_token: TokenFactory) -> dict[str, str]:
    token = make_token("catalog", "producer", sub="paul", org="cnam")
    return bearer(token)


async def test_register_then_get(client: httpx.AsyncClient, producer: dict[str, str]) -> None:
    created = await client.post("/catalog/datasets", json=dataset(), headers=producer)
    assert created.status_code == 201, created.text
    body = created.json()
    fetched = await client.get(f"/catalog/datasets/{body['id']}", headers=producer)
    assert fetched.status_code == 200
    assert fetched.json() == body


async def test_duplicate_slug_is_a_conflict(
    client: httpx.AsyncClient, producer: dict[str, str]
) -> None:
    assert (
        await client.post("/catalog/datasets", json=dataset(), headers=producer)
    ).status_code == 201
    again = await client.post("/catalog/datasets", json=dataset(), headers=producer)
    assert again.status_code == 409
    assert again.headers["content-type"] == PROBLEM
    assert again.json()["type"] == "/problems/conflict"


async def test_producer_registers_only_for_own_organisation(
    client: httpx.AsyncClient, producer: dict[str, str]
) -> None:
    response = await client.post(
        "/catalog/datasets", json=dataset(publisher="aphp"), headers=producer
    )
    assert response.status_code == 403
    assert response.json()["type"] == "/problems/forbidden"


async def test_researcher_cannot_register(
    client: httpx.AsyncClient, make_token: TokenFactory
) -> None:
    headers = bearer(make_token("catalog", "researcher", org="cnam"))
    response = await client.post("/catalog/datasets", json=dataset(), headers=headers)
    assert response.status_code == 403


async def test_list_paginates_with_a_cursor(
    client: httpx.AsyncClient, producer: dict[str, str]
) -> None:
    slugs = [f"dataset-{i:02d}" for i in range(5)]
    for slug in slugs:
        assert (
            await client.post("/catalog/datasets", json=dataset(slug), headers=producer)
        ).status_code == 201
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = (await client.get("/catalog/datasets", params=params, headers=producer)).json()
        assert len(page["items"]) <= 2
        seen += [item["slug"] for item in page["items"]]
        cursor = page.get("next_cursor")
        if cursor is None:
            break
    assert seen == slugs


@pytest.mark.parametrize("cursor", ["bm9wZQ", encode_cursor(["not a date", "not a uuid"])])
async def test_a_forged_cursor_is_a_bad_request(
    client: httpx.AsyncClient, producer: dict[str, str], cursor: str
) -> None:
    response = await client.get("/catalog/datasets", params={"cursor": cursor}, headers=producer)
    assert response.status_code == 400
    assert response.json()["type"] == "/problems/invalid-cursor"


async def test_unknown_dataset_is_not_found(
    client: httpx.AsyncClient, producer: dict[str, str]
) -> None:
    response = await client.get(f"/catalog/datasets/{uuid.uuid4()}", headers=producer)
    assert response.status_code == 404
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["type"] == "/problems/not-found"


@pytest.mark.parametrize(
    "change",
    [
        {"title": "DCIR\x00"},
        {"description": "Soins\x00de ville"},
        {"keywords": ["soins", "\x00"]},
        {"details": {"contact_point": {"name": "Équipe\x00"}}},
    ],
)
async def test_a_nul_character_is_refused_when_registering_and_editing(
    client: httpx.AsyncClient, producer: dict[str, str], change: dict[str, object]
) -> None:
    refused = await client.post("/catalog/datasets", json=dataset() | change, headers=producer)
    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"] == PROBLEM
    assert refused.json()["type"] == "/problems/validation-error"
    created = await client.post("/catalog/datasets", json=dataset(), headers=producer)
    assert created.status_code == 201
    url = f"/catalog/datasets/{created.json()['id']}"
    edited = await client.patch(url, json=change, headers=producer)
    assert edited.status_code == 422, edited.text
    assert edited.json()["type"] == "/problems/validation-error"
    assert (await client.get(url, headers=producer)).json() == created.json()
