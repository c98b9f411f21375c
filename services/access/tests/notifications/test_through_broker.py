"""The whole path on the real broker: a transition's event leaves by the outbox relay, the
notifications consumer queues it for the webhooks of the request's organisation, the worker
posts it signed."""

from typing import Any

import pytest
from standardwebhooks.webhooks import Webhook as Verifier
from standardwebhooks.webhooks import WebhookVerificationError

from hdh_dev.broker import TansuBroker
from hdh_dev.testing import eventually

from .conftest import FAST, Receiver
from .test_webhooks import deliveries, status_of, subscribe


@pytest.fixture
def settings_overrides(kafka: TansuBroker) -> dict[str, Any]:
    return FAST | {"kafka_bootstrap_servers": kafka.bootstrap_servers}


async def test_a_partner_gets_its_organisations_events_signed_and_no_other(
    hub, receiver: tuple[Receiver, str]
) -> None:
    endpoint, url = receiver
    ours = await subscribe(hub, url, ["hdh.access.request.*"])
    theirs = await subscribe(hub, url, ["hdh.access.*"], org="elsewhere")
    assert ours["secret"].startswith("whsec_")
    request = await hub.draft()
    await hub.drive_to(request["id"], "submitted")

    async def delivered() -> bool:
        return await status_of(hub, ours, "delivered")

    await eventually(delivered, within=45)
    assert len(endpoint.calls) == 1  # the uploads' events were not asked for
    headers, body = endpoint.calls[0]
    event = Verifier(ours["secret"]).verify(body, headers)
    assert event["type"] == "hdh.access.request.submitted.v1"
    assert event["data"]["request_id"] == request["id"]
    assert "actor" not in event  # who acted stays in the hub
    assert headers["webhook-id"] == (await deliveries(hub, ours))[0]["id"]
    with pytest.raises(WebhookVerificationError):
        Verifier(theirs["secret"]).verify(body, headers)
    assert await deliveries(hub, theirs, org="elsewhere") == []
