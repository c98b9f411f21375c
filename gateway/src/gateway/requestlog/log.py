"""The request log: one event per request on ``hdh.gateway``, spooled on disk first, so a broker
outage delays entries (in order) and never loses them while the spool has room."""

import asyncio
import contextlib
import itertools
import json
import logging
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaConnectionError, KafkaError
from prometheus_client import CollectorRegistry, Counter, Gauge

from gateway.requestlog.spool import Position, Spool, SpooledEntry
from hdh_common.kafka import Kafka, broker_reachable, ensure_topics, kafka_config, new_producer
from hdh_common.logs import correlation_id_var

logger = logging.getLogger(__name__)
TOPIC = "hdh.gateway"
EVENT_TYPE = "hdh.gateway.request.completed.v1"
BATCH = 500
IDLE_WAIT = 0.5
BACKOFF = 0.5
DELIVERY_TIMEOUT = 3.0
GATHER_DELAY = 0.05
STOP_SECONDS = 2.0


class RequestLogMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.dropped = Counter(
            "gateway_request_log_dropped_total",
            "Request-log entries lost because the spool could not take them.",
            registry=registry,
        )
        self.published = Counter(
            "gateway_request_log_published_total",
            "Request-log entries published.",
            registry=registry,
        )
        self.spooled_bytes = Gauge(
            "gateway_request_log_spool_bytes", "Bytes waiting in the spool.", registry=registry
        )
        self.oldest_age = Gauge(
            "gateway_request_log_spool_oldest_age_seconds",
            "Age of the oldest entry waiting in the spool (0 when it is empty).",
            registry=registry,
        )


class RequestLog:
    def __init__(
        self, *, spool: Spool, bootstrap_servers: Kafka, instance: str, metrics: RequestLogMetrics
    ) -> None:
        self._spool = spool
        self._bootstrap = bootstrap_servers
        self.instance = instance
        self._metrics = metrics
        self._boot = uuid.uuid4().hex[:12]
        self._sequence = itertools.count(1)
        self._wake = asyncio.Event()
        self._producer: AIOKafkaProducer | None = None
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        self._drained = asyncio.Event()
        self._failing = False
        self._oldest: float | None = None
        metrics.oldest_age.set_function(self.oldest_age)

    def oldest_age(self) -> float:
        """Seconds the oldest spooled entry has waited (as of the last look at the spool)."""
        return 0.0 if self._oldest is None else max(0.0, time.time() - self._oldest)

    def has_room(self) -> bool:
        return self._spool.has_room()

    def record(self, data: dict[str, Any], *, actor: str | None) -> bool:
        event = self._event(data, actor=actor)
        if not self._spool.append(json.dumps(event, separators=(",", ":")).encode()):
            self._metrics.dropped.inc()
            logger.error(
                "request log entry dropped: spool full",
                extra={"request_id": data.get("request_id")},
            )
            return False
        self._metrics.spooled_bytes.set(self._spool.size)
        self._wake.set()
        return True

    def _event(self, data: dict[str, Any], *, actor: str | None) -> dict[str, Any]:
        """A :class:`CloudEvent` in its JSON form, built without the model (hot path)."""
        event = {
            "specversion": "1.0",
            "id": str(uuid.uuid4()),
            "source": f"/gateway/{self.instance}",
            "type": EVENT_TYPE,
            "subject": str(data.get("request_id") or ""),
            "time": datetime.now(UTC).isoformat(),
            "datacontenttype": "application/json",
            "data": data
            | {"instance": self.instance, "boot": self._boot, "seq": next(self._sequence)},
            "actor": actor,
            "correlationid": correlation_id_var.get(),
            "requestid": data.get("request_id"),
        }
        return {k: v for k, v in event.items() if v is not None}

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def close(self, *, timeout: float) -> None:  # noqa: ASYNC109
        """Publish what the spool holds, for at most ``timeout`` seconds (within the
        termination grace period) and while the broker takes it, then stop; what is left
        waits in the spool on disk for the next start."""
        self._closing = True
        self._wake.set()
        if self._task is not None:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(timeout):
                    await self._drained.wait()
            self._task.cancel()
            await asyncio.wait([self._task], timeout=STOP_SECONDS)
        if self._spool.read(1):
            logger.warning("request log: entries left in the spool at shutdown")
        await self._close_producer()

    async def _run(self) -> None:
        """Drain the spool to the broker, in order, reconnecting after failures; once closing,
        until the spool is empty."""
        while True:
            entries = self._spool.read(BATCH)
            self._oldest = _written_at(entries[0].data) if entries else None
            if not entries:
                if self._closing:
                    self._drained.set()
                    return
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(IDLE_WAIT):
                        await self._wake.wait()
                continue
            if len(entries) < BATCH:
                await asyncio.sleep(GATHER_DELAY)
                entries = self._spool.read(BATCH)
            if await self._publish(entries):
                self._failing = False
            elif self._closing and not await broker_reachable(self._bootstrap):
                self._drained.set()  # the broker is away: the entries wait on disk
                return
            else:
                await asyncio.sleep(BACKOFF)

    async def _publish(self, entries: list[SpooledEntry]) -> bool:
        try:
            producer = await self._ensure_producer()
            futures = [
                await producer.send(TOPIC, entry.data, key=self.instance.encode())
                for entry in entries
            ]
        except (KafkaError, OSError) as error:
            self._report_failure(error)
            await self._close_producer()
            return False
        delivered = await self._delivered(entries, futures)
        if delivered is not None:
            self._spool.acknowledge(delivered)
            self._metrics.spooled_bytes.set(self._spool.size)
        return delivered == entries[-1].end

    async def _delivered(
        self, entries: list[SpooledEntry], futures: list["asyncio.Future[Any]"]
    ) -> Position | None:
        """The end of the longest prefix of ``entries`` the broker acknowledged in time."""
        for future in futures:
            future.add_done_callback(_retrieve)
        await asyncio.wait(futures, timeout=DELIVERY_TIMEOUT)
        last: Position | None = None
        for entry, future in zip(entries, futures, strict=True):
            if not future.done() or future.cancelled() or future.exception() is not None:
                error = future.exception() if future.done() and not future.cancelled() else None
                self._report_failure(error or TimeoutError("no acknowledgement in time"))
                await self._close_producer()
                break
            last = entry.end
            self._metrics.published.inc()
        return last

    def _report_failure(self, error: BaseException) -> None:
        if not self._failing:
            logger.warning(
                "request log: broker unavailable, entries wait in the spool",
                extra={"error": repr(error)},
            )
        self._failing = True

    async def _ensure_producer(self) -> AIOKafkaProducer:
        if self._producer is None:
            if not await broker_reachable(self._bootstrap):
                raise KafkaConnectionError(
                    f"no broker answers at {kafka_config(self._bootstrap).bootstrap_servers}"
                )
            producer = new_producer(self._bootstrap)
            try:
                await producer.start()
            except BaseException:
                await producer.stop()
                raise
            self._producer = producer
            with contextlib.suppress(KafkaError, OSError):
                await ensure_topics(self._bootstrap, [TOPIC])
        return self._producer

    async def _close_producer(self) -> None:
        producer, self._producer = self._producer, None
        if producer is not None:
            with contextlib.suppress(Exception):
                await producer.stop()


def _written_at(data: bytes) -> float | None:
    try:
        return datetime.fromisoformat(json.loads(data)["time"]).timestamp()
    except (ValueError, KeyError, TypeError):
        return None


def _retrieve(future: "asyncio.Future[Any]") -> None:
    """Mark a late delivery failure as seen: the entry stays in the spool and is sent again."""
    if not future.cancelled():
        future.exception()
