"""A blocking, readable file over the async chunks of several objects, for worker threads."""

import asyncio
import hashlib
import io
from collections.abc import AsyncIterator, Callable


class ChainedReader(io.RawIOBase):
    """Reads the objects one after the other, hashing and counting what passes."""

    def __init__(
        self,
        open_object: Callable[[str], AsyncIterator[bytes]],
        keys: list[str],
        *,
        loop: asyncio.AbstractEventLoop,
    ) -> None:
        self._open = open_object
        self._keys = list(keys)
        self._loop = loop
        self._current: AsyncIterator[bytes] | None = None
        self._pending = b""
        self.sha256 = hashlib.sha256()
        self.size = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        while not self._pending:
            chunk = self._next()
            if chunk is None:
                return 0
            self._pending = chunk
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size

    def _next(self) -> bytes | None:
        while True:
            if self._current is None:
                if not self._keys:
                    return None
                self._current = self._open(self._keys.pop(0))
            future = asyncio.run_coroutine_threadsafe(_next_chunk(self._current), self._loop)
            chunk = future.result()
            if chunk is None:
                self._current = None
                continue
            self.sha256.update(chunk)
            self.size += len(chunk)
            return chunk


class Prefixed(io.RawIOBase):
    """Bytes already read from a file (a sample), then the rest of the file."""

    def __init__(self, prefix: bytes, rest: io.BufferedIOBase) -> None:
        self._prefix = prefix
        self._rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        if not self._prefix:
            return self._rest.readinto(buffer)
        size = min(len(buffer), len(self._prefix))
        buffer[:size] = self._prefix[:size]
        self._prefix = self._prefix[size:]
        return size


async def _next_chunk(chunks: AsyncIterator[bytes]) -> bytes | None:
    try:
        return await anext(chunks)
    except StopAsyncIteration:
        return None


async def file_chunks(path: str, *, chunk_size: int = 1024 * 1024) -> AsyncIterator[bytes]:
    with open(path, "rb") as file:  # noqa: ASYNC230  (local temporary file, read in chunks)
        while chunk := await asyncio.to_thread(file.read, chunk_size):
            yield chunk
