"""Liveness, readiness and Prometheus metrics endpoints."""

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Generic, TypeVar

from fastapi import APIRouter, Request, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    GCCollector,
    Histogram,
    Info,
    PlatformCollector,
    ProcessCollector,
    generate_latest,
)
from pydantic import BaseModel, Field

from hdh_common.errors import ServiceUnavailable, problem_responses
from hdh_common.state import service_state

Check = Callable[[], Awaitable[bool]]
T = TypeVar("T")
READINESS_CACHE_SECONDS = 2.0
JOB_SECONDS_BUCKETS = (1, 5, 15, 60, 300, 900, 3600, 4 * 3600, 12 * 3600)


class Shared(Generic[T]):
    """A result kept ``ttl`` seconds (or ``ttl(result)``); callers arriving while it is
    computed await that one computation, which a caller giving up does not cancel."""

    def __init__(self, *, ttl: float | Callable[[T], float]) -> None:
        self._ttl = ttl
        self._value: T | None = None
        self._expires = 0.0
        self._running: asyncio.Task[T] | None = None

    async def get(self, compute: Callable[[], Awaitable[T]]) -> T:
        if self._value is not None and time.monotonic() < self._expires:
            return self._value
        if self._running is None:
            self._running = asyncio.ensure_future(self._compute(compute))
        return await asyncio.shield(self._running)

    async def _compute(self, compute: Callable[[], Awaitable[T]]) -> T:
        try:
            value = await compute()
            ttl = self._ttl(value) if callable(self._ttl) else self._ttl
            self._value, self._expires = value, time.monotonic() + ttl
            return value
        finally:
            self._running = None


class Health(BaseModel):
    status: str = Field(examples=["ok"])


class Readiness(BaseModel):
    status: str = Field(
        examples=["ready"],
        description="`ready`, or `degraded` when a dependency the service can do without for a"
        " while (the broker, whose outage the outbox absorbs) is unavailable.",
    )
    checks: dict[str, str] = Field(examples=[{"database": "ok", "broker": "ok"}])
    components: dict[str, str] = Field(
        default_factory=dict,
        description="Which implementation of a part runs; informational, not a check.",
        examples=[{"hmac_kernel": "native"}],
    )


async def run_checks(checks: Mapping[str, Check]) -> dict[str, str]:
    results = {}
    for name, check in checks.items():
        try:
            ok = await check()
        except Exception:
            ok = False
        results[name] = "ok" if ok else "unavailable"
    return results


def metrics_registry() -> CollectorRegistry:
    """A part's own registry (several apps may share a process in tests), with the process's
    CPU, memory, file descriptors and start time, the Python version and the GC's work."""
    registry = CollectorRegistry()
    ProcessCollector(registry=registry)
    PlatformCollector(registry=registry)
    GCCollector(registry=registry)
    return registry


def job_durations(registry: CollectorRegistry) -> Histogram:
    """How long a service's background jobs take (linkage jobs, workspace analyses), by kind
    and outcome (``succeeded``, ``failed``, ``cancelled``)."""
    return Histogram(
        "hdh_job_duration_seconds",
        "Duration of background jobs, by kind and outcome.",
        ["kind", "outcome"],
        buckets=JOB_SECONDS_BUCKETS,
        registry=registry,
    )


def probes_router(
    registry: CollectorRegistry,
    *,
    readiness_cache_seconds: float = READINESS_CACHE_SECONDS,
    components: Mapping[str, str] | None = None,
) -> APIRouter:
    """``/healthz``, ``/readyz`` (runs the lifespan state's ``readiness_checks`` and
    ``reported_checks`` at most once per ``readiness_cache_seconds``, concurrent callers sharing
    a run; only the former can make it 503; shows ``components``),
    ``/metrics`` (with ``hdh_component_info``, labelled by ``components``)."""
    router = APIRouter(tags=["operations"])
    components = dict(components or {})
    if components:
        Info("hdh_component", "Which implementation of a part runs.", registry=registry).info(
            components
        )
    readiness: Shared[dict[str, str]] = Shared(ttl=readiness_cache_seconds)

    @router.get("/healthz", response_model=Health, summary="Liveness")
    async def healthz() -> Health:
        return Health(status="ok")

    @router.get(
        "/readyz",
        response_model=Readiness,
        summary="Readiness",
        responses=problem_responses(ServiceUnavailable),
    )
    async def readyz(request: Request) -> Readiness:
        state = service_state(request)
        required, reported = state.readiness_checks, getattr(state, "reported_checks", {})
        results = dict(await readiness.get(lambda: run_checks({**required, **reported})))
        if any(results[name] != "ok" for name in required):
            raise ServiceUnavailable("Not ready.", checks=results)
        degraded = any(value != "ok" for value in results.values())
        status = "degraded" if degraded else "ready"
        return Readiness(status=status, checks=results, components=components)

    @router.get("/metrics", summary="Prometheus metrics", response_class=Response)
    async def metrics() -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    return router
