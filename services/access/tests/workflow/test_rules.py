"""Illegal transitions, roles, four eyes, conflicts of interest, guards and reasons."""

import asyncio

import sqlalchemy as sa


async def test_illegal_transition_names_current_and_allowed_states(hub) -> None:
    request = await hub.draft()
    await hub.drive_to(request["id"], "submitted")
    response = await hub.act(request["id"], "refer_to_committee", "hub_staff", "sam")
    assert response.status_code == 409
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"] == "/problems/illegal-transition"
    assert problem["current_state"] == "submitted"
    assert problem["allowed_transitions"] == ["request_info", "declare_admissible", "withdraw"]
    assert problem["allowed_states"] == ["admissible", "info_requested", "withdrawn"]
    again = await hub.act(request["id"], "submit", "researcher", "alice")
    assert again.status_code == 409 and again.json()["current_state"] == "submitted"


async def test_wrong_roles_are_refused(hub) -> None:
    request = await hub.draft()
    await hub.drive_to(request["id"], "submitted")
    assert (
        await hub.act(request["id"], "declare_admissible", "researcher", "alice")
    ).status_code == 403
    await hub.step(request["id"], "admissible")
    await hub.step(request["id"], "committee_review")
    await hub.step(request["id"], "regulator_review")
    decision = {"outcome": "authorised", "reference": "DR-1", "decided_on": "2026-02-01"}
    assert (
        await hub.record(request["id"], "decisions", decision, "committee_member", "carl")
    ).status_code == 403
    assert (
        await hub.record(request["id"], "decisions", decision, "regulator", "rita")
    ).status_code == 201
    assert (
        await hub.act(request["id"], "authorise", "committee_member", "carl")
    ).status_code == 403
    assert (await hub.act(request["id"], "authorise", "hub_staff", "sam")).status_code == 403
    assert (await hub.get(request["id"]))["state"] == "regulator_review"


async def test_four_eyes_nobody_decides_on_their_own_project(hub) -> None:
    request = await hub.draft("alice")
    project_id = request["project_id"]
    await hub.client.post(
        f"/access/projects/{project_id}/members",
        json={"subject": "sam", "role": "member"},
        headers=hub.as_("researcher", "alice"),
    )
    await hub.drive_to(request["id"], "submitted")
    refused = await hub.act(request["id"], "declare_admissible", "hub_staff", "sam")
    assert refused.status_code == 403
    assert refused.json()["type"] == "/problems/four-eyes-rule"
    assert (
        await hub.act(request["id"], "declare_admissible", "hub_staff", "steve")
    ).status_code == 200


async def test_conflict_of_interest_excludes_the_member(hub) -> None:
    request = await hub.draft()
    await hub.drive_to(request["id"], "committee_review")
    declared = await hub.record(
        request["id"],
        "conflicts",
        {"statement": "I co-authored with the PI."},
        "committee_member",
        "carl",
    )
    assert declared.status_code == 201
    again = await hub.record(
        request["id"], "conflicts", {"statement": "again"}, "committee_member", "carl"
    )
    assert again.status_code == 404  # the declarer no longer sees the request
    opinion = {
        "outcome": "favourable",
        "reference": "C-1",
        "decided_on": "2026-01-05",
        "text": "ok",
    }
    refused = await hub.record(request["id"], "opinions", opinion, "committee_member", "carl")
    assert refused.status_code == 404
    assert (
        await hub.record(request["id"], "opinions", opinion, "committee_member", "cora")
    ).status_code == 201


async def test_guards_and_reasons(hub) -> None:
    request = await hub.draft()
    rid = request["id"]
    missing_docs = await hub.act(rid, "submit", "researcher", "alice")
    assert missing_docs.status_code == 409
    assert missing_docs.json()["type"] == "/problems/transition-guard-failed"
    assert "protocol" in missing_docs.json()["detail"]
    await hub.drive_to(rid, "committee_review")
    no_opinion = await hub.act(rid, "forward_to_regulator", "hub_staff", "sam")
    assert no_opinion.status_code == 409 and "opinion" in no_opinion.json()["detail"]
    no_reason = await hub.act(rid, "withdraw", "researcher", "alice")
    assert no_reason.status_code == 422 and no_reason.json()["type"] == "/problems/reason-required"
    assert (await hub.get(rid))["state"] == "committee_review"
    withdrawn = await hub.ok(rid, "withdraw", "researcher", "alice", reason="Funding ended.")
    assert withdrawn["state"] == "withdrawn" and withdrawn["due_on"] is None


async def test_unfavourable_opinion_rejection_is_published_with_its_reason(hub) -> None:
    request = await hub.draft()
    rid = request["id"]
    await hub.drive_to(rid, "committee_review")
    opinion = {
        "outcome": "unfavourable",
        "reference": "C-9",
        "decided_on": "2026-01-05",
        "text": "No.",
    }
    assert (
        await hub.record(rid, "opinions", opinion, "committee_member", "carl")
    ).status_code == 201
    await hub.ok(
        rid, "reject", "committee_member", "carl", reason="Purpose not of public interest."
    )
    [entry] = (await hub.client.get("/access/register")).json()["items"]
    assert entry["status"] == "refused"
    assert entry["justification"] == "Purpose not of public interest."
    assert (entry["committee_opinion_reference"], entry["regulator_decision_reference"]) == (
        "C-9",
        None,
    )


async def test_methodology_path_skips_the_regulator(hub) -> None:
    request = await hub.draft(
        legal_basis={"kind": "reference_methodology", "methodology": "MR-004"}
    )
    rid = request["id"]
    await hub.drive_to(rid, "committee_review")
    opinion = {
        "outcome": "favourable",
        "reference": "C-2",
        "decided_on": "2026-01-05",
        "text": "ok",
    }
    await hub.record(rid, "opinions", opinion, "committee_member", "carl")
    assert (await hub.act(rid, "forward_to_regulator", "hub_staff", "sam")).status_code == 409
    authorised = await hub.ok(rid, "authorise_under_methodology", "hub_staff", "sam")
    assert authorised["state"] == "authorised"
    [entry] = (await hub.client.get("/access/register")).json()["items"]
    assert entry["legal_basis"] == "MR-004"
    assert (entry["committee_opinion_reference"], entry["regulator_decision_reference"]) == (
        "C-2",
        None,
    )


async def test_two_simultaneous_transitions_exactly_one_wins(hub) -> None:
    request = await hub.draft()
    rid = request["id"]
    await hub.drive_to(rid, "submitted")
    version = (await hub.get(rid))["version"]
    results = await asyncio.gather(
        hub.act(rid, "declare_admissible", "hub_staff", "sam", version=version),
        hub.act(rid, "request_info", "hub_staff", "steve", reason="CV?", version=version),
        hub.act(rid, "withdraw", "researcher", "alice", reason="Changed mind.", version=version),
    )
    statuses = sorted(r.status_code for r in results)
    assert statuses == [200, 409, 409]
    losers = [r.json() for r in results if r.status_code == 409]
    # A loser that read before the winner committed is stale; one that read after sees the
    # new state (illegal transition) or the new version (stale): a 409 either way.
    assert {p["type"] for p in losers} <= {
        "/problems/stale-version",
        "/problems/illegal-transition",
    }
    async with hub.engine.connect() as connection:
        changes = await connection.scalar(
            sa.text("SELECT count(*) FROM access.request_transition WHERE request_id = :r"),
            {"r": rid},
        )
        events = await connection.scalar(
            sa.text(
                "SELECT count(*) FROM access.outbox WHERE payload->>'subject' = :r"
                " AND payload->>'type' LIKE 'hdh.access.request.%'"
            ),
            {"r": rid},
        )
    assert changes == events == 2
    retried = await hub.act(rid, "request_info", "hub_staff", "steve", reason="CV?")
    assert retried.status_code in (200, 409)
