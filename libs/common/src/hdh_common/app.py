"""``create_service_app``: the one way a service becomes a FastAPI app."""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, FastAPI
from opentelemetry import trace
from prometheus_client import CollectorRegistry
from sqlalchemy.ext.asyncio import AsyncEngine

from hdh_common.consumer import ConsumerMetrics, EventConsumer, Subscription
from hdh_common.db import create_engine, create_sessionmaker, ping
from hdh_common.errors import install_error_handlers
from hdh_common.identity import InternalTokenVerifier, public_key_pem
from hdh_common.kafka import broker_reachable
from hdh_common.logs import configure_logging
from hdh_common.middleware import HttpMetrics, RequestContextMiddleware
from hdh_common.outbox import Outbox, OutboxRelay, RelayMetrics
from hdh_common.probes import metrics_registry, probes_router
from hdh_common.service_client import ServiceClient
from hdh_common.settings import ServiceSettings
from hdh_common.state import STATE_KEY, ServiceState
from hdh_common.storage import create_object_store
from hdh_common.tracing import Tracing

logger = logging.getLogger(__name__)
SHUTDOWN_GRACE_SECONDS = 5.0
STOP_ROUNDS = 3
Lifespan = Callable[[FastAPI], contextlib.AbstractAsyncContextManager[dict[str, Any]]]
Resources = Callable[[ServiceState[Any]], contextlib.AbstractAsyncContextManager[ServiceState[Any]]]
"""A service's own resources and background loops: given the common state, yields the state
the service runs with (the same, or its subclass with more), and releases them on exit."""


@contextlib.asynccontextmanager
async def common_resources_only(state: ServiceState[Any]) -> AsyncIterator[ServiceState[Any]]:
    yield state


@dataclass(frozen=True)
class ServiceDefinition:
    """What makes a service: its name (= schema, token audience, topic suffix) and its parts."""

    name: str
    title: str
    description: str
    version: str
    outbox: Outbox
    routers: Sequence[APIRouter] = ()
    subscriptions: Sequence[Subscription[Any]] = ()
    resources: Resources = common_resources_only
    openapi_tags: list[dict[str, Any]] = field(default_factory=list)
    components: Callable[[], Mapping[str, str]] = dict
    """Which implementation of a part runs (``{"hmac_kernel": "native"}``), asked when the app
    is built: logged at start, shown by ``/readyz`` and the ``hdh_component_info`` metric;
    informational, never a check."""


def create_service_app(definition: ServiceDefinition, settings: ServiceSettings) -> FastAPI:
    registry = metrics_registry()
    components = dict(definition.components())
    tracing = Tracing(f"hdh-{definition.name}", settings.otlp_endpoint)
    app = FastAPI(
        title=definition.title,
        description=definition.description,
        version=definition.version,
        lifespan=_lifespan(
            definition,
            settings,
            components=components,
            registry=registry,
            relay_metrics=RelayMetrics(registry),
            consumer_metrics=ConsumerMetrics(registry),
            tracing=tracing,
        ),
        openapi_tags=definition.openapi_tags or None,
        telemetry=tracing.fastapi(),
    )
    install_error_handlers(app)
    app.add_middleware(RequestContextMiddleware, metrics=HttpMetrics(registry))
    app.include_router(
        probes_router(
            registry,
            readiness_cache_seconds=settings.readiness_cache_seconds,
            components=components,
        )
    )
    for router in definition.routers:
        app.include_router(router)
    return app


async def stop_tasks(tasks: Sequence[asyncio.Task[Any]]) -> None:
    """Cancel ``tasks`` and wait for them, cancelling again those still running: a loop whose
    cancellation got lost (Python 3.11's ``asyncio.wait_for`` drops one that arrives as its
    inner call completes; our loops use ``asyncio.timeout``) must not outlive its app and
    keep working on the app's database."""
    for _ in range(STOP_ROUNDS):
        running = [task for task in tasks if not task.done()]
        if not running:
            return
        for task in running:
            task.cancel()
        await asyncio.wait(running, timeout=SHUTDOWN_GRACE_SECONDS)
    for task in tasks:
        if not task.done():
            logger.error("a background task did not stop: %s", task.get_coro())


@contextlib.asynccontextmanager
async def background(*loops: Coroutine[Any, Any, None]) -> AsyncIterator[None]:
    """Runs ``loops`` as tasks while the block runs; stops them on exit."""
    tasks = [asyncio.create_task(loop) for loop in loops]
    try:
        yield
    finally:
        await stop_tasks(tasks)


def _lifespan(
    definition: ServiceDefinition,
    settings: ServiceSettings,
    *,
    components: Mapping[str, str],
    registry: CollectorRegistry,
    relay_metrics: RelayMetrics,
    consumer_metrics: ConsumerMetrics,
    tracing: Tracing,
) -> Lifespan:
    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, Any]]:
        configure_logging(definition.name, settings.log_level)
        if components:
            logger.info("components: %s", dict(components))
        engine = create_engine(
            settings.database_url,
            schema=definition.name,
            pool_size=settings.database_pool_size,
            tls=settings.database_tls(),
        )
        tracing.instrument_engine(engine)
        service_key = settings.service_token_private_key.get_secret_value()
        service_client = ServiceClient(
            service=definition.name,
            private_pem=service_key,
            urls={"access": settings.access_url},
            http=tracing.client(timeout=settings.service_call_timeout),
        )
        common = _common_state(
            definition,
            settings,
            engine=engine,
            client=service_client,
            registry=registry,
            relay_metrics=relay_metrics,
            consumer_metrics=consumer_metrics,
            tracing=tracing,
        )
        try:
            async with definition.resources(common) as state:
                workers = _workers(definition, state, tracer=tracing.tracer)
                async with background(*(worker.run() for worker in workers)):
                    yield {STATE_KEY: state}
        finally:
            await service_client.aclose()
            await engine.dispose()
            await asyncio.to_thread(tracing.shutdown)

    return lifespan


def _common_state(
    definition: ServiceDefinition,
    settings: ServiceSettings,
    *,
    engine: AsyncEngine,
    client: ServiceClient,
    registry: CollectorRegistry,
    relay_metrics: RelayMetrics,
    consumer_metrics: ConsumerMetrics,
    tracing: Tracing,
) -> ServiceState[Any]:
    sessionmaker = create_sessionmaker(engine)
    bootstrap = settings.kafka()
    service_key = settings.service_token_private_key.get_secret_value()

    async def database_ready() -> bool:
        await ping(engine)
        return True

    async def broker_ready() -> bool:
        return await broker_reachable(bootstrap)

    return ServiceState(
        settings=settings,
        sessionmaker=sessionmaker,
        outbox_relay=OutboxRelay(
            outbox=definition.outbox,
            sessionmaker=sessionmaker,
            bootstrap_servers=bootstrap,
            metrics=relay_metrics,
            poll_interval=settings.outbox_poll_interval,
            tracer=tracing.tracer,
        ),
        object_store=create_object_store(settings),
        token_verifier=InternalTokenVerifier(
            settings.internal_token_public_key,
            issuer=settings.internal_token_issuer,
            audience=definition.name,
            service_public_pem=public_key_pem(service_key) if service_key else "",
        ),
        service_client=client,
        registry=registry,
        consumer_metrics=consumer_metrics,
        tracing=tracing,
        readiness_checks={"database": database_ready},
        reported_checks={"broker": broker_ready},
    )


def _workers(
    definition: ServiceDefinition,
    state: ServiceState[Any],
    *,
    tracer: trace.Tracer,
) -> list[OutboxRelay | EventConsumer[Any]]:
    consumers = [
        EventConsumer(
            subscription,
            state=state,
            tables=definition.outbox.tables,
            sessionmaker=state.sessionmaker,
            bootstrap_servers=state.settings.kafka(),
            metrics=state.consumer_metrics,
            tracer=tracer,
        )
        for subscription in definition.subscriptions
    ]
    return [state.outbox_relay, *consumers]
