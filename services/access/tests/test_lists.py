"""The lists of a request's file page with a cursor, like every list."""

from datetime import timedelta


async def test_a_thread_pages_oldest_first(hub) -> None:
    request = await hub.draft()
    rid = request["id"]
    await hub.drive_to(rid, "submitted")
    bodies = [f"Question {n}." for n in range(5)]
    for body in bodies:
        assert (
            await hub.record(rid, "messages", {"body": body}, "hub_staff", "sam")
        ).status_code == 201
    seen, cursor, pages = [], None, 0
    while True:
        params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = (
            await hub.client.get(
                f"/access/requests/{rid}/messages", params=params, headers=hub.as_("hub_staff")
            )
        ).json()
        seen += [m["body"] for m in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert (seen, pages) == (bodies, 3)


async def test_requests_and_grants_list_newest_first(hub) -> None:
    first, second = await hub.draft(), await hub.draft()
    alice = hub.as_("researcher", "alice")
    listed = (await hub.client.get("/access/requests", headers=alice)).json()["items"]
    assert [r["id"] for r in listed] == [second["id"], first["id"]]
    for request in (first, second):
        await hub.drive_to(request["id"], "active")
        hub.clock.instant += timedelta(minutes=1)
    grants = (await hub.client.get("/access/grants", headers=alice)).json()["items"]
    assert [g["request_id"] for g in grants] == [second["id"], first["id"]]
