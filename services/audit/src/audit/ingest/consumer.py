"""The audit ingester: every ``hdh.*`` topic, sequenced in batches, offsets committed after.

A batch of records is appended in one transaction; only once it has committed are the
offsets committed, so a crash replays the batch and the event-id idempotence of
:func:`audit.entries.service.append` absorbs the replay. A record that is not a CloudEvent,
or that the database refuses, goes to ``dlq.audit`` with the error.
"""

import asyncio
import logging
from collections.abc import Sequence
from typing import TypeAlias

from aiokafka import TopicPartition
from prometheus_client import Gauge
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from audit.entries import service as entries
from audit.ingest.mapping import entry_fields
from hdh_common.consumer import ConsumerLoop, Record
from hdh_common.errors import is_transient
from hdh_common.events import CloudEvent
from hdh_common.kafka import Kafka

logger = logging.getLogger(__name__)
Parsed: TypeAlias = tuple[Record, "entries.Prepared"]
GROUP = "audit"
DLQ_TOPIC = f"dlq.{GROUP}"
# Records parsed between two yields to the event loop: parsing is CPU work in the loop's thread,
# and the batch being sequenced meanwhile needs the loop for each of its statements.
PARSE_SLICE = 16


class BatchIngester(ConsumerLoop):
    """The common consumer loop, consuming in pipelined batches."""

    def __init__(
        self,
        *,
        sessionmaker: async_sessionmaker[AsyncSession],
        bootstrap_servers: Kafka,
        pattern: str,
        batch_size: int,
        group_id: str = GROUP,
        lag: Gauge | None = None,
    ) -> None:
        super().__init__(
            group_id=group_id,
            dlq_topic=DLQ_TOPIC,
            bootstrap_servers=bootstrap_servers,
            pattern=pattern,
            lag=lag,
        )
        self.sessionmaker = sessionmaker
        self.batch_size = batch_size
        self.appended = 0

    async def _consume_forever(self) -> None:
        """Batch ``k`` is being sequenced while batch ``k + 1`` is fetched and parsed; offsets
        of a batch are committed only once its transaction has committed, while the next
        batch is being sequenced."""
        assert self._consumer is not None
        in_flight: tuple[asyncio.Task[None], dict[TopicPartition, int]] | None = None
        try:
            while True:
                fetched = await self._consumer.getmany(timeout_ms=500, max_records=self.batch_size)
                records = [record for batch in fetched.values() for record in batch]
                parsed = await self._parse(records)
                stored: dict[TopicPartition, int] = {}
                if in_flight is not None:
                    await in_flight[0]
                    stored, in_flight = in_flight[1], None
                if records:
                    offsets = {tp: batch[-1].offset + 1 for tp, batch in fetched.items() if batch}
                    in_flight = (asyncio.create_task(self._store(parsed)), offsets)
                if stored:
                    await self._consumer.commit(stored)
                await self._measure_lag()
        finally:
            if in_flight is not None:
                in_flight[0].cancel()

    async def _parse(self, records: Sequence[Record]) -> list[Parsed]:
        """Each record as a prepared entry (hashed, not yet sequenced); others dead-lettered."""
        parsed: list[Parsed] = []
        for n, record in enumerate(records, 1):
            if n % PARSE_SLICE == 0:
                await asyncio.sleep(0)  # let the batch in flight send its next statement
            try:
                event = CloudEvent.model_validate_json(record.value or b"")
                row = entries.prepare_fields(entry_fields(event))
            except ValidationError as exc:
                await self._dead_letter(record, f"not a CloudEvent: {exc.error_count()} errors")
            except (ValueError, TypeError) as exc:
                await self._dead_letter(record, f"not canonicalisable: {exc}"[:1000])
            else:
                parsed.append((record, row))
        return parsed

    async def _store(self, parsed: list[Parsed]) -> None:
        """Append durably (retrying while the database is unreachable), or dead-letter the
        records the database refuses."""
        attempt = 0
        while True:
            try:
                await self._append([row for _, row in parsed])
                return
            except Exception as exc:
                if not is_transient(exc):
                    await self._one_by_one(parsed)
                    return
                attempt += 1
                logger.warning("audit batch not stored, retrying: %r", exc)
                await asyncio.sleep(min(0.2 * attempt, 5.0))

    async def _append(self, rows: list[entries.Prepared]) -> None:
        if rows:
            async with self.sessionmaker.begin() as session:
                receipts = await entries.append_prepared(session, rows)
            self.appended += len({r.event_id for r in receipts if not r.duplicate})

    async def _one_by_one(self, parsed: list[Parsed]) -> None:
        """A batch was refused: find the records at fault, dead-letter them, keep the rest."""
        for record, row in parsed:
            try:
                await self._append([row])
            except Exception as exc:
                if is_transient(exc):
                    raise
                await self._dead_letter(record, f"{type(exc).__name__}: {exc}"[:1000])
