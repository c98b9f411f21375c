"""The HTTP append (services) and the auditors' reads."""

import asyncio
import hashlib
from collections.abc import Callable
from typing import Any

import httpx

from audit.canonical import canonical_json
from hdh_common.pagination import encode_cursor

Headers = Callable[..., dict[str, str]]
Draft = Callable[..., dict[str, Any]]


async def append(client: httpx.AsyncClient, headers: dict[str, str], body: dict[str, Any]) -> Any:
    response = await client.post("/audit/entries", json=body, headers=headers)
    assert response.status_code in (200, 201), response.text
    return response.json()


async def test_append_answers_with_the_leaf_index(
    client: httpx.AsyncClient, as_role: Headers, draft: Draft
) -> None:
    system = as_role("system")
    first = await client.post("/audit/entries", json=draft(1), headers=system)
    second = await client.post("/audit/entries", json=draft(2), headers=system)
    again = await client.post("/audit/entries", json=draft(1), headers=system)
    assert (first.status_code, second.status_code, again.status_code) == (201, 201, 200)
    assert first.json()["leaf_index"] == 0 and second.json()["leaf_index"] == 1
    assert again.json() == first.json() | {"duplicate": True}


async def test_an_entry_carries_what_anyone_needs_to_rehash_it(
    client: httpx.AsyncClient, as_role: Headers, draft: Draft
) -> None:
    receipt = await append(client, as_role("system"), draft(7, purpose="grant-9"))
    served = (await client.get("/audit/entries/0", headers=as_role("auditor"))).json()
    assert served["seq"] == served["leaf_index"] == 0
    entry = served["entry"]
    assert entry["purpose"] == "grant-9" and entry["payload"]["nested"] == {"é": [1, 2.5, None]}
    recomputed = hashlib.sha256(b"\x00" + canonical_json(entry)).hexdigest()
    assert recomputed == served["leaf_hash"] == receipt["leaf_hash"]
    missing = await client.get("/audit/entries/5", headers=as_role("auditor"))
    assert missing.status_code == 404


async def test_search_filters_and_pages(
    client: httpx.AsyncClient, as_role: Headers, draft: Draft
) -> None:
    for n in range(12):
        caller = as_role("system", sub=f"user-{n % 3}") | {"X-Request-ID": f"request-{n}"}
        await append(client, caller, draft(n, outcome="denied" if n % 4 else "success"))
    auditor = as_role("auditor")
    seen: list[int] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"actor": "user-1", "limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = (await client.get("/audit/entries", params=params, headers=auditor)).json()
        seen += [item["seq"] for item in page["items"]]
        cursor = page.get("next_cursor")
        if not cursor:
            break
    assert seen == [1, 4, 7, 10]
    page = await client.get(
        "/audit/entries", params={"outcome": "success", "project": "project-0"}, headers=auditor
    )
    assert [i["seq"] for i in page.json()["items"]] == [0, 4, 8]
    for forged in ("nope", encode_cursor(["1"]), encode_cursor([True]), encode_cursor([2**63])):
        bad = await client.get("/audit/entries", params={"cursor": forged}, headers=auditor)
        assert bad.status_code == 400 and bad.json()["type"] == "/problems/invalid-cursor"
    by_request = await client.get(
        "/audit/entries", params={"request_id": "request-3"}, headers=auditor
    )
    assert [i["seq"] for i in by_request.json()["items"]] == [3]
    window = await client.get(
        "/audit/entries",
        params={"since": "2000-01-01T00:00:00Z", "until": "2001-01-01T00:00:00Z"},
        headers=auditor,
    )
    assert window.json()["items"] == []


async def test_concurrent_appends_leave_no_gap(
    client: httpx.AsyncClient, as_role: Headers, draft: Draft
) -> None:
    system = as_role("system")
    answers = await asyncio.gather(
        *(client.post("/audit/entries", json=draft(n % 30), headers=system) for n in range(40))
    )
    receipts = [answer.json() for answer in answers]
    fresh = sorted(r["leaf_index"] for r in receipts if not r["duplicate"])
    assert fresh == list(range(30))
    by_event = {r["event_id"]: r["leaf_index"] for r in receipts if not r["duplicate"]}
    assert all(by_event[r["event_id"]] == r["leaf_index"] for r in receipts)


async def test_what_cannot_be_stored_is_refused(
    client: httpx.AsyncClient, as_role: Headers, draft: Draft
) -> None:
    body = draft(1, payload={"note": "nul \u0000 inside"})
    refused = await client.post("/audit/entries", json=body, headers=as_role("system"))
    assert refused.status_code == 422
    head = await client.get("/audit/tree-head", headers=as_role("auditor"))
    assert head.json()["tree_size"] == 0
