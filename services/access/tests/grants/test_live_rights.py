"""Who may read a grant's data, decided on live state for the services that hold the data
(the linkage service asks at each download): only internal service identities may ask."""

from datetime import timedelta

import sqlalchemy as sa

from hdh_common.identity import Principal, Role
from hdh_dev.testing import bearer

from .test_lifecycle import active_request


async def rights(hub, grant_id: str, subject: str) -> dict:
    response = await hub.client.get(
        f"/access/grants/{grant_id}/readers/{subject}", headers=hub.as_("system", "hdh-linkage")
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


async def member_events(hub) -> list[dict]:
    async with hub.engine.connect() as connection:
        rows = await connection.scalars(
            sa.text(
                "SELECT payload FROM access.outbox WHERE payload->>'type' LIKE"
                " 'hdh.access.project.%' ORDER BY id"
            )
        )
        return list(rows)


async def test_a_removed_member_is_refused_at_once_and_the_removal_is_an_event(hub) -> None:
    request, grant = await active_request(hub)
    project = f"/access/projects/{request['project_id']}"
    added = await hub.client.post(
        f"{project}/members",
        json={"subject": "bob", "role": "member"},
        headers=hub.as_("researcher", "alice"),
    )
    assert added.status_code == 201, added.text
    assert (await rights(hub, grant["id"], "bob"))["allowed"] is True
    assert (await rights(hub, grant["id"], "alice"))["allowed"] is True
    assert (await rights(hub, grant["id"], "mallory"))["allowed"] is False

    removed = await hub.client.delete(
        f"{project}/members/bob", headers=hub.as_("researcher", "alice")
    )
    assert removed.status_code == 200, removed.text

    refused = await rights(hub, grant["id"], "bob")
    assert refused["allowed"] is False and "member" in refused["reason"]
    events = [(e["type"], e["data"].get("subject")) for e in await member_events(hub)]
    assert events == [
        ("hdh.access.project.created.v1", None),
        ("hdh.access.project.member_added.v1", "bob"),
        ("hdh.access.project.member_removed.v1", "bob"),
    ]
    assert (await member_events(hub))[-1]["actor"] == "alice"


async def test_a_revoked_or_expired_grant_is_refused_at_once(hub) -> None:
    _, grant = await active_request(hub)
    revoked = await hub.client.post(
        f"/access/grants/{grant['id']}/revocation",
        json={"reason": "Breach."},
        headers=hub.as_("hub_staff"),
    )
    assert revoked.status_code == 200
    answer = await rights(hub, grant["id"], "alice")
    assert (answer["allowed"], answer["reason"]) == (False, "The grant is revoked.")

    _, other = await active_request(hub, "alice")
    hub.clock.instant += timedelta(days=365 * 3)  # past its last day, before any sweep
    answer = await rights(hub, other["id"], "alice")
    assert (answer["allowed"], answer["reason"]) == (False, "The grant is past its last day.")


async def test_only_internal_services_ask(hub, token_signer) -> None:
    _, grant = await active_request(hub)
    url = f"/access/grants/{grant['id']}/readers/alice"
    for role in ("researcher", "hub_staff", "auditor", "partner"):
        response = await hub.client.get(url, headers=hub.as_(role, "alice"))
        assert response.status_code == 403, (role, response.text)
    # a token the gateway signed never carries the service role, whatever it claims
    forged = token_signer.sign(
        Principal(subject="hdh-linkage", roles=frozenset({Role.SYSTEM})), audience="access"
    )
    response = await hub.client.get(url, headers=bearer(forged))
    assert response.status_code == 403, response.text
