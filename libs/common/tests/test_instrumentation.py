"""A service's traces, as a collector receives them over OTLP/HTTP: the request's server span
(FastAPI's instrumentation), its statements (SQLAlchemy's), its call to another service
(httpx's, the ``traceparent`` sent along), the event it wrote sent to the broker and
consumed, all in one trace; configured by the standard ``OTEL_*`` variables."""

from pathlib import Path
from typing import Any

import pytest
from fastapi import APIRouter, FastAPI, Request
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from hdh_common.app import ServiceDefinition, create_service_app
from hdh_common.consumer import Subscription
from hdh_common.events import CloudEvent
from hdh_common.outbox import Outbox
from hdh_common.settings import ServiceSettings
from hdh_common.state import ServiceState, service_state
from hdh_common.tracing import Tracing
from hdh_dev.broker import TansuBroker
from hdh_dev.otlp import receiving_spans
from hdh_dev.testing import Messaging, eventually, running, serve_http

SERVER, CLIENT, PRODUCER, CONSUMER = 2, 3, 4, 5
EVENT_TYPE = "hdh.traced.thing.done.v1"
SECRET = "1840775123456"  # what a query string may carry


def peer(headers: list[dict[str, str]]) -> FastAPI:
    """Another service, answering the rights question and keeping the headers it got."""
    app = FastAPI()

    @app.get("/rights")
    async def rights(request: Request) -> dict[str, bool]:
        headers.append(dict(request.headers))
        return {"allowed": True}

    return app


def traced_app(settings: ServiceSettings, messaging: Messaging, consumed: list[str]) -> Any:
    outbox = Outbox(messaging.tables, service=messaging.schema)
    router = APIRouter()

    @router.post("/things")
    async def create(request: Request) -> dict[str, str]:
        state = service_state(request)
        await state.service_client.get("access", "/rights", params={"subject": SECRET})
        async with state.sessionmaker.begin() as session:
            await session.execute(text("SELECT 1"))
            event = await outbox.publish(
                session, type=EVENT_TYPE, subject="s1", data={}, actor=None
            )
        return {"id": event.id}

    async def handler(state: ServiceState[Any], session: AsyncSession, event: CloudEvent) -> None:
        consumed.append(event.id)

    definition = ServiceDefinition(
        name=messaging.schema,
        title="traced",
        description="traced",
        version="0",
        outbox=outbox,
        routers=[router],
        subscriptions=[
            Subscription(name=f"{messaging.schema}-c", handler=handler, topics=(outbox.topic,))
        ],
    )
    return create_service_app(definition, settings)


async def test_a_request_its_statements_call_and_event_are_one_trace_at_the_collector(
    messaging: Messaging,
    kafka: TansuBroker,
    database_url: str,
    token_public_key: str,
    service_private_key: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    headers: list[dict[str, str]] = []
    consumed: list[str] = []
    async with receiving_spans() as (receiver, spans), serve_http(peer(headers)) as peer_url:
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", receiver)
        monkeypatch.setenv("OTEL_RESOURCE_ATTRIBUTES", "deployment.environment.name=test")
        settings = ServiceSettings(
            database_url=database_url,
            kafka_bootstrap_servers=kafka.bootstrap_servers,
            internal_token_public_key=token_public_key,
            service_token_private_key=service_private_key,
            access_url=peer_url,
            storage_path=tmp_path,
            outbox_poll_interval=0.1,
        )
        async with running(traced_app(settings, messaging, consumed)) as client:
            answer = await client.post("/things", params={"q": SECRET})
            assert answer.status_code == 200, answer.text

            async def applied() -> bool:
                return consumed == [answer.json()["id"]]

            await eventually(applied, within=60)  # the first join of a group takes seconds
        # the app's shutdown exported what was pending

    service = f"hdh-{messaging.schema}"
    (server,) = [s for s in spans if s.kind == SERVER and s.name == "POST /things"]
    assert server.service == service
    assert server.resource["deployment.environment.name"] == "test"
    assert server.attributes["http.route"] == "/things"
    in_trace = [s for s in spans if s.trace_id == server.trace_id]

    statements = [s for s in in_trace if s.scope == "opentelemetry.instrumentation.sqlalchemy"]
    assert {s.kind for s in statements} == {CLIENT}
    assert any(s.attributes.get("db.statement") == "SELECT 1" for s in statements)
    assert all(s.attributes["db.system"] == "postgresql" for s in statements)

    (call,) = [s for s in in_trace if s.scope == "opentelemetry.instrumentation.httpx"]
    assert call.kind == CLIENT
    assert headers[0]["traceparent"].startswith(f"00-{call.trace_id}-{call.span_id}-")

    (send,) = [s for s in in_trace if s.kind == PRODUCER]
    assert send.name == f"send hdh.{messaging.schema}"
    (consume,) = [s for s in in_trace if s.kind == CONSUMER]
    assert consume.name == f"consume {EVENT_TYPE}"
    assert consume.attributes["messaging.message.id"] == answer.json()["id"]
    # the consumer's own statements (its inbox row) are children of its span
    assert any(s.parent_id == consume.span_id for s in statements)
    # a query string's values stay in the service
    assert server.attributes["url.query"] == "q=REDACTED"
    assert SECRET not in str([s.attributes for s in spans])


def test_the_endpoint_has_the_standard_name_and_the_older_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("OTEL_EXPORTER_OTLP_ENDPOINT", raising=False)
    monkeypatch.delenv("HDH_OTLP_ENDPOINT", raising=False)
    assert not Tracing("hdh-t", ServiceSettings().otlp_endpoint).enabled
    monkeypatch.setenv("HDH_OTLP_ENDPOINT", "http://old:4318")
    assert ServiceSettings().otlp_endpoint == "http://old:4318"
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318")
    assert ServiceSettings().otlp_endpoint == "http://collector:4318"  # the standard one wins
