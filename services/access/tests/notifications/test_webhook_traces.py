"""A webhook delivery is a client span of the access service's trace: method, URL and status,
never the query string's values (a partner's token may sit there), the headers or the body."""

from collections.abc import AsyncIterator
from typing import Any

import pytest

from hdh_dev.otlp import ReceivedSpan, http_calls, receiving_spans
from hdh_dev.testing import eventually

from .conftest import FAST, Receiver
from .test_webhooks import partner, status_of, subscribe

CLIENT = 3
TOKEN = "partner-token-7f3a"
Spans = tuple[str, list[ReceivedSpan]]


@pytest.fixture
async def collector(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Spans]:
    monkeypatch.setenv("OTEL_BSP_SCHEDULE_DELAY", "50")  # exported as they end
    async with receiving_spans() as received:
        yield received


@pytest.fixture
def settings_overrides(collector: Spans) -> dict[str, Any]:
    return FAST | {"otlp_endpoint": collector[0]}


async def test_a_delivery_is_a_client_span_without_the_query_values(
    hub: Any, receiver: tuple[Receiver, str], collector: Spans
) -> None:
    endpoint, url = receiver
    _, spans = collector
    webhook = await subscribe(hub, f"{url}?token={TOKEN}", ["hdh.access.request.*"])
    tested = await hub.client.post(f"/access/webhooks/{webhook['id']}/test", headers=partner(hub))
    assert tested.status_code == 202, tested.text

    async def delivered() -> bool:
        return await status_of(hub, webhook, "delivered")

    await eventually(delivered, within=10)
    (delivery,) = await http_calls(spans)
    assert delivery.kind == CLIENT
    assert delivery.service == "hdh-access"
    assert delivery.name == "POST"
    assert delivery.attributes == {
        "http.method": "POST",
        "http.url": f"{url}?token=REDACTED",
        "http.status_code": 204,
    }
    headers, body = endpoint.calls[0]
    assert headers["traceparent"].startswith(f"00-{delivery.trace_id}-{delivery.span_id}-")
    recorded = str([s.attributes for s in spans])
    assert TOKEN not in recorded
    assert webhook["secret"] not in recorded
    assert headers["webhook-signature"] not in recorded
    assert body.decode() not in recorded
