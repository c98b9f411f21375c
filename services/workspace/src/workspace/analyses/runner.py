"""The worker that runs queued analyses one at a time.

Before it starts and while it runs, an analysis is held to its author's rights on the read
model (a grant that ends, a removal or a closure stops it) and to its own state (its author
may cancel it); its progress and heartbeat are written as it goes, so that any replica
answers how far it is, and a worker that stops leaves it to be taken again. Its result is
written to the project's prefix and registered as a project table, derived from the grants
it was computed under: it leaves the space with any of them.
"""

import asyncio
import contextlib
import logging
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pyarrow.parquet as pq
from prometheus_client import Histogram
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hdh_common.errors import AppError
from hdh_common.storage import ObjectStore
from workspace.analyses.errors import TableNameTaken, as_problem
from workspace.analyses.repository import AnalysisRepository
from workspace.analyses.run import Progress, run_sql
from workspace.config import Settings
from workspace.db import outbox
from workspace.errors import AccessEnded
from workspace.events import ANALYSIS_FINISHED, AnalysisFinished
from workspace.queries.engine import Cancel, Limits
from workspace.queries.errors import QueryCancelled
from workspace.spaces import data
from workspace.spaces.models import CANCELLED, FAILED, SUCCEEDED, Analysis, ProjectTable
from workspace.spaces.repository import TableRepository

logger = logging.getLogger(__name__)
STALE_AFTER = timedelta(minutes=2)
BUCKET = "projects"
KIND = "analysis"


class Stopped(Exception):
    """The analysis was cancelled by a member: nothing more to record."""


class AnalysisRunner:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        store: ObjectStore,
        settings: Settings,
        *,
        durations: Histogram,
        poll_interval: float = 1.0,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.durations = durations
        self.store = store
        self.settings = settings
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
                logger.warning("analysis runner round failed: %s", type(exc).__name__)
                ran = False
            if not ran:
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self.poll_interval):
                        await self._wake.wait()
                self._wake.clear()

    async def run_one(self) -> bool:
        async with self.sessionmaker.begin() as session:
            analysis = await AnalysisRepository(session).claim(stale_after=STALE_AFTER)
        if analysis is None:
            return False
        started, outcome = time.monotonic(), CANCELLED
        try:
            table = await self._run(analysis)
        except Stopped:
            logger.info("analysis %s cancelled", analysis.id)
        except AppError as error:
            outcome = await self._finish(
                analysis, state=FAILED, problem=as_problem(error), started=started
            )
        except Exception as error:
            logger.exception("analysis %s failed", analysis.id)
            reason = AppError(f"{type(error).__name__} while running the analysis.")
            outcome = await self._finish(
                analysis, state=FAILED, problem=as_problem(reason), started=started
            )
        else:
            outcome = await self._finish(analysis, state=SUCCEEDED, table=table, started=started)
        finally:
            self.durations.labels(KIND, outcome).observe(time.monotonic() - started)
        return True

    async def _run(self, analysis: Analysis) -> ProjectTable:
        async with self.sessionmaker() as session:
            found = await self._readable(session, analysis)
            chosen = found.pick(analysis.tables)
            root = self.settings.workspace_files_path
            tables = await data.local_copies(self.store, root, found, chosen)
            folder = root / str(analysis.project_id) / "analyses"
            await asyncio.to_thread(folder.mkdir, parents=True, exist_ok=True)
            target = folder / f"{analysis.id}.parquet"
            cancel, progress = Cancel(), Progress()
            limits = self.settings.limits
            work = asyncio.to_thread(
                run_sql,
                analysis.sql,
                tables,
                target,
                limits=Limits(
                    memory=limits.memory,
                    threads=limits.threads,
                    seconds=self.settings.workspace_analysis_seconds,
                ),
                max_rows=self.settings.workspace_analysis_max_rows,
                cancel=cancel,
                progress=progress,
            )

            async def still() -> str | None:
                state = await AnalysisRepository(session).beat(
                    analysis.id, progress=progress.percent
                )
                await session.commit()
                if state == CANCELLED:
                    return "cancelled by a member."
                return await data.lost(session, analysis.subject, found)

            try:
                rows = await data.watched(work, cancel, still)
            except QueryCancelled as stopped:
                if cancel.reason == "cancelled by a member.":
                    raise Stopped from stopped
                raise AccessEnded(f"The analysis was stopped: {stopped}") from stopped
            try:
                carried = await asyncio.to_thread(data.carried_pseudonyms, target, tables)
                return await self._store(analysis, found, chosen, target, rows, carried)
            finally:
                target.unlink(missing_ok=True)

    async def _readable(self, session: AsyncSession, analysis: Analysis) -> data.Readable:
        tables = await TableRepository(session).of_grants(analysis.project_id, analysis.grant_ids)
        newest: dict[str, ProjectTable] = {}
        for table in tables:
            newest.setdefault(table.name, table)
        found = data.Readable(analysis.project_id, list(analysis.grant_ids), newest)
        if reason := await data.lost(session, analysis.subject, found):
            raise AccessEnded(f"The analysis was not started: {reason}")
        return found

    async def _store(
        self,
        analysis: Analysis,
        found: data.Readable,
        sources: list[ProjectTable],
        path: Any,
        rows: int,
        carried: set[str],
    ) -> ProjectTable:
        key = f"{analysis.project_id}/analyses/{analysis.id}/{analysis.name}.parquet"
        await self.store.ensure_bucket(BUCKET)
        with path.open("rb") as file:
            await self.store.put(
                BUCKET, key, _chunks(file), content_type="application/vnd.apache.parquet"
            )
        pseudonyms = {
            c["name"].lower() for t in sources for c in t.columns if c["kind"] == "pseudonym"
        }
        schema = pq.read_schema(path)
        columns = [
            {
                "name": field.name,
                "type": str(field.type),
                "kind": "pseudonym"
                if field.name.lower() in pseudonyms or field.name in carried
                else "none",
            }
            for field in schema
        ]
        return ProjectTable(
            id=uuid.uuid4(),
            project_id=analysis.project_id,
            grant_id=found.grant_ids[0],
            derived_from=list(found.grant_ids),
            dataset_id=None,
            name=analysis.name,
            columns=columns,
            rows=rows,
            key_version=max(t.key_version for t in sources),
            bucket=BUCKET,
            object_key=key,
        )

    async def _finish(
        self,
        analysis: Analysis,
        *,
        state: str,
        started: float,
        table: ProjectTable | None = None,
        problem: dict[str, Any] | None = None,
    ) -> str:
        """Records how the analysis ended; returns that state (cancelled meanwhile: kept)."""
        async with self.sessionmaker.begin() as session:
            stored = await AnalysisRepository(session).get(analysis.id, lock=True)
            if stored is None or stored.state == CANCELLED:
                return CANCELLED
            if table is not None:
                names = await TableRepository(session).of_grants(
                    table.project_id, list(table.derived_from)
                )
                if any(t.name.lower() == table.name.lower() for t in names):
                    state, problem = (
                        FAILED,
                        as_problem(
                            TableNameTaken(
                                f"The space got a table {table.name} while the analysis ran."
                            )
                        ),
                    )
                else:
                    await TableRepository(session).add(table)
                    stored.table_id, stored.rows, stored.progress = table.id, table.rows, 100.0
            stored.state, stored.problem = state, problem
            stored.finished_at = datetime.now(UTC)
            event = AnalysisFinished(
                project_id=stored.project_id,
                analysis_id=stored.id,
                name=stored.name,
                state=state,
                problem_type=(problem or {}).get("type"),
                table_id=stored.table_id,
                rows=stored.rows,
                milliseconds=round((time.monotonic() - started) * 1000),
            )
            await outbox.publish(
                session,
                type=ANALYSIS_FINISHED,
                subject=str(stored.project_id),
                data=event.model_dump(mode="json"),
                actor=stored.subject,
            )
        return state


async def _chunks(file: Any) -> Any:
    while chunk := await asyncio.to_thread(file.read, 1024 * 1024):
        yield chunk
