"""A committee opinion is final for its round; a new round is a staff transition with a reason."""

import asyncio

import sqlalchemy as sa

FAVOURABLE = {
    "outcome": "favourable",
    "reference": "C-1",
    "decided_on": "2026-01-05",
    "text": "Sound design.",
}
UNFAVOURABLE = FAVOURABLE | {"outcome": "unfavourable", "reference": "C-2", "text": "No."}


async def test_a_recorded_opinion_is_final_for_its_round(hub) -> None:
    request = await hub.draft()
    rid = request["id"]
    await hub.drive_to(rid, "committee_review")
    first = await hub.record(rid, "opinions", FAVOURABLE, "committee_member", "carl")
    assert first.status_code == 201
    for sub in ("carl", "cora"):
        again = await hub.record(rid, "opinions", UNFAVOURABLE, "committee_member", sub)
        assert again.status_code == 409, again.text
        assert again.json()["type"] == "/problems/opinion-already-recorded"
    reversed_ = await hub.act(rid, "reject", "committee_member", "cora", reason="No.")
    assert reversed_.status_code == 409
    records = await hub.client.get(f"/access/requests/{rid}/records", headers=hub.as_("hub_staff"))
    assert [r["outcome"] for r in records.json()["items"]] == ["favourable"]
    await hub.ok(rid, "forward_to_regulator", "hub_staff", "sam")


async def test_staff_open_a_new_round_with_a_reason(hub) -> None:
    request = await hub.draft()
    rid = request["id"]
    await hub.drive_to(rid, "committee_review")
    assert (await hub.get(rid))["review_round"] == 1
    no_opinion = await hub.act(rid, "reopen_committee_review", "hub_staff", "sam", reason="New.")
    assert no_opinion.status_code == 409
    assert no_opinion.json()["type"] == "/problems/transition-guard-failed"
    await hub.record(rid, "opinions", FAVOURABLE, "committee_member", "carl")
    committee = await hub.act(rid, "reopen_committee_review", "committee_member", "cora", "x")
    assert committee.status_code == 403
    no_reason = await hub.act(rid, "reopen_committee_review", "hub_staff", "sam")
    assert no_reason.json()["type"] == "/problems/reason-required"
    reopened = await hub.ok(
        rid, "reopen_committee_review", "hub_staff", "sam", reason="Protocol amended."
    )
    assert (reopened["state"], reopened["review_round"]) == ("committee_review", 2)
    stale = await hub.act(rid, "forward_to_regulator", "hub_staff", "sam")
    assert stale.status_code == 409 and "opinion" in stale.json()["detail"]
    second = await hub.record(rid, "opinions", UNFAVOURABLE, "committee_member", "cora")
    assert second.status_code == 201
    await hub.ok(rid, "reject", "committee_member", "cora", reason="Not of public interest.")
    history = await hub.client.get(
        f"/access/requests/{rid}/transitions", headers=hub.as_("hub_staff")
    )
    reopen = [t for t in history.json()["items"] if t["transition"] == "reopen_committee_review"]
    assert [(t["reason"], t["actor"]) for t in reopen] == [("Protocol amended.", "sam")]
    async with hub.engine.connect() as connection:
        events = await connection.scalars(
            sa.text("SELECT payload->>'type' FROM access.outbox WHERE key = :rid"), {"rid": rid}
        )
        assert "hdh.access.request.committee_review_reopened.v1" in set(events)


async def test_two_simultaneous_opinions_exactly_one_is_recorded(hub) -> None:
    request = await hub.draft()
    rid = request["id"]
    await hub.drive_to(rid, "committee_review")
    responses = await asyncio.gather(
        hub.record(rid, "opinions", FAVOURABLE, "committee_member", "carl"),
        hub.record(rid, "opinions", UNFAVOURABLE, "committee_member", "cora"),
    )
    assert sorted(r.status_code for r in responses) == [201, 409]
