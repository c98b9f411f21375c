"""What a service's lifespan builds, as one typed object handed to its routes and consumers.

Starlette copies the lifespan's state into each ``request.state``; the service's state sits
there under one key, and dependencies reach it through :func:`service_state`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from fastapi import Request

from hdh_common.settings import ServiceSettings

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry
    from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

    from hdh_common.consumer import ConsumerMetrics
    from hdh_common.identity import InternalTokenVerifier
    from hdh_common.outbox import OutboxRelay
    from hdh_common.probes import Check
    from hdh_common.service_client import ServiceClient
    from hdh_common.storage import ObjectStore
    from hdh_common.tracing import Tracing

STATE_KEY = "service"
SettingsT = TypeVar("SettingsT", bound=ServiceSettings)


@dataclass(frozen=True, kw_only=True)
class ServiceState(Generic[SettingsT]):
    """The resources every service has. A service with more subclasses it (``LinkageState``)
    and builds it in its ``ServiceDefinition.resources`` hook: ``Sub(**vars(common), ...)``."""

    settings: SettingsT
    sessionmaker: async_sessionmaker[AsyncSession]
    outbox_relay: OutboxRelay
    object_store: ObjectStore
    token_verifier: InternalTokenVerifier
    service_client: ServiceClient
    registry: CollectorRegistry
    """The service's Prometheus metrics (its ``/metrics``): a service registers its own there."""
    consumer_metrics: ConsumerMetrics
    tracing: Tracing
    """The service's traces: its outgoing HTTP clients are made by ``tracing.client``."""
    readiness_checks: Mapping[str, Check]
    reported_checks: Mapping[str, Check] = field(default_factory=dict)
    """Checked and shown by ``/readyz`` but not required: a part the service does without for a
    while (the broker: the outbox keeps the events until it is back)."""


def service_state(request: Request) -> ServiceState[Any]:
    state: ServiceState[Any] = getattr(request.state, STATE_KEY)
    return state
