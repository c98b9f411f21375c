"""What a running job needs, built once in the app's lifespan."""

import asyncio
import contextlib
import threading
import uuid
from collections.abc import AsyncIterable, AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hdh_common.storage import ObjectInfo, ObjectStore, download, put_new
from hdh_common.workdir import work_folder
from linkage.engine import Engine
from linkage.jobs.models import CANCELLED
from linkage.jobs.pipeline import Cancelled
from linkage.jobs.repository import JobRepository
from linkage.keys.crypto import MasterKey

CHUNK = 1024 * 1024
PROGRESS_EVERY_SECONDS = 0.5


@dataclass(frozen=True)
class JobContext:
    sessionmaker: async_sessionmaker[AsyncSession]
    store: ObjectStore
    master: MasterKey
    engine: Engine
    work_dir: Path | None = None

    async def download(self, bucket: str, key: str, target: Path) -> None:
        await download(self.store, bucket, key, target)

    async def upload(self, source: Path, bucket: str, key: str) -> ObjectInfo:
        await self.store.ensure_bucket(bucket)
        return await self.store.put(
            bucket, key, _chunks(source), content_type="application/vnd.apache.parquet"
        )

    async def upload_new(self, source: Path, bucket: str, key: str) -> ObjectInfo:
        """``upload``, refused with ``ObjectExists`` if the key already holds an object."""
        await self.store.ensure_bucket(bucket)
        return await put_new(
            self.store, bucket, key, _chunks(source), content_type="application/vnd.apache.parquet"
        )


async def _chunks(path: Path) -> AsyncIterable[bytes]:
    with path.open("rb") as file:
        while chunk := await asyncio.to_thread(file.read, CHUNK):
            yield chunk


class ProgressTracker:
    """Counts rows from the worker thread; a task flushes them and watches for cancellation."""

    def __init__(self, context: JobContext, job_id: uuid.UUID) -> None:
        self.context = context
        self.job_id = job_id
        self._done = 0
        self._lock = threading.Lock()
        self._cancelled = threading.Event()

    def __call__(self, rows: int) -> None:
        if self._cancelled.is_set():
            raise Cancelled()
        with self._lock:
            self._done += rows

    async def flush(self, *, total: int | None = None) -> None:
        async with self.context.sessionmaker.begin() as session:
            state = await JobRepository(session).progress(self.job_id, done=self._done, total=total)
        if state == CANCELLED:
            self._cancelled.set()

    async def watch(self) -> None:
        while True:
            await asyncio.sleep(PROGRESS_EVERY_SECONDS)
            await self.flush()


@contextlib.asynccontextmanager
async def temporary_folder(root: Path | None = None) -> AsyncIterator[Path]:
    with work_folder(root, prefix="hdh-linkage-") as folder:
        yield Path(folder)
