"""The worker that takes queued jobs one at a time and runs them.

A job claimed by a worker that stops (crash, restart) is taken again once its heartbeat is
stale; outputs go to keys derived from the job's input, so a rerun replaces them.
"""

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from prometheus_client import Histogram

from hdh_common.errors import AppError
from linkage.jobs.context import JobContext
from linkage.jobs.models import CANCELLED, FAILED, SUCCEEDED, Job
from linkage.jobs.pipeline import Cancelled, PipelineError
from linkage.jobs.repository import JobRepository

logger = logging.getLogger(__name__)
STALE_AFTER = timedelta(minutes=2)
Executor = Callable[[JobContext, Job], Awaitable[None]]
Failure = Callable[[JobContext, Job, str], Awaitable[None]]


class JobRunner:
    def __init__(
        self,
        context: JobContext,
        *,
        executors: dict[str, Executor],
        on_failure: dict[str, Failure],
        poll_interval: float,
        durations: Histogram,
    ) -> None:
        self.context = context
        self.durations = durations
        self.executors = executors
        self.on_failure = on_failure
        self.poll_interval = poll_interval
        self._wake = asyncio.Event()

    def nudge(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        while True:
            try:
                ran = await self.run_one()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                logger.warning("job runner round failed: %s", type(exc).__name__)
                ran = False
            if not ran:
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self.poll_interval):
                        await self._wake.wait()
                self._wake.clear()

    async def run_one(self) -> bool:
        async with self.context.sessionmaker.begin() as session:
            job = await JobRepository(session).claim(stale_after=STALE_AFTER)
        if job is None:
            return False
        logger.info("job %s (%s) started, attempt %s", job.id, job.kind, job.attempts)
        started, outcome = time.monotonic(), SUCCEEDED
        try:
            await self.executors[job.kind](self.context, job)
        except Cancelled:
            logger.info("job %s cancelled", job.id)
            outcome = CANCELLED
        except Exception as exc:
            outcome = FAILED
            await self._fail(job, _reason(exc))
        else:
            logger.info("job %s succeeded", job.id)
        finally:
            self.durations.labels(job.kind, outcome).observe(time.monotonic() - started)
        return True

    async def _fail(self, job: Job, reason: str) -> None:
        logger.warning("job %s failed: %s", job.id, reason)
        async with self.context.sessionmaker.begin() as session:
            stored = await JobRepository(session).get(job.id)
            if stored is None or stored.state == CANCELLED:
                return
            stored.state, stored.error = FAILED, reason
            stored.finished_at = datetime.now(UTC)
        if handler := self.on_failure.get(job.kind):
            await handler(self.context, job, reason)


def _reason(exc: Exception) -> str:
    """A failure reason safe to store and show: our own messages name columns, never values;
    other errors (e.g. a parser quoting a cell) are reduced to their type."""
    if isinstance(exc, PipelineError | AppError):
        return str(exc)[:500]
    return f"{type(exc).__name__} while processing the data"
