"""Object storage: buckets of objects streamed in and out in bounded memory.

Two stores pass one contract test: :class:`FilesystemObjectStore` (the embedded default, a
bucket is a folder under a root) and :class:`S3ObjectStore` (MinIO or any S3 API, through
the synchronous ``minio`` client run in threads). Build one with :func:`create_object_store`.

``put`` reads an async iterator of chunks and ``get`` yields chunks, so no object is ever
held whole in memory; on S3 an object larger than :data:`PART_SIZE` goes multipart, and
an upload holds about three parts at most (minio reads a part while sending the last).
A ``put`` that fails or is cancelled leaves no partial object: the filesystem store writes
a temporary file and renames it into place, the S3 store aborts its multipart upload (or
removes the object if the cancellation came after its last request).

The sha256 is computed while streaming and returned by ``put`` only; ``stat`` and ``list``
report ``sha256=None`` on both stores. S3 metadata is fixed when an upload starts, before
the digest is known, and recording it afterwards takes a copy of the whole object or a
sidecar, neither atomic with the upload. Callers keep the digest ``put`` returns (beside
the key, in their database); both stores behave alike, so code developed against the
filesystem store never relies on a digest S3 would not give.

Both stores check names alike and raise :class:`InvalidKey`: bucket names follow S3's
rules; a key is at most 1024 UTF-8 bytes of "/"-separated segments, none empty, "." or
"..", none starting with ``.hdh-tmp-``, and no NUL. On the filesystem a key cannot be both
an object and a folder of other objects ("a" and "a/b").

Failures of the disk or of the S3 API raise :class:`StorageError`; an exception raised by
the chunks given to ``put`` propagates unchanged.

:func:`put_new` writes an object only if its key holds none (write-once objects); it checks,
then writes, so callers serialise the writers of one key (e.g. by a unique row claimed first).

A missing bucket holds nothing: ``list`` returns ``[]``, ``delete`` does nothing, ``get``
and ``stat`` raise :class:`ObjectNotFound`, ``put`` raises :class:`StorageError`.
"""

import asyncio
import builtins
import concurrent.futures
import contextlib
import dataclasses
import functools
import hashlib
import io
import os
import re
import stat as stat_module
import threading
import uuid
from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from operator import attrgetter
from pathlib import Path
from typing import Annotated, BinaryIO, ParamSpec, Protocol, TypeVar, cast

from fastapi import Depends, Request
from minio import Minio
from minio.datatypes import Object
from minio.error import MinioException, S3Error
from urllib3.exceptions import HTTPError

from hdh_common.settings import ServiceSettings
from hdh_common.state import service_state

PART_SIZE = 8 * 1024 * 1024
CHUNK_SIZE = 1024 * 1024
MAX_KEY_BYTES = 1024
DEFAULT_CONTENT_TYPE = "application/octet-stream"

_TEMP_PREFIX = ".hdh-tmp-"
_BUCKET_NAME = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
_MISSING = frozenset({"NoSuchKey", "NoSuchBucket", "ResourceNotFound"})
_T = TypeVar("_T")
_P = ParamSpec("_P")


class StorageError(Exception):
    """Base of the object stores' errors."""


class ObjectNotFound(StorageError):
    pass


class StorageUnavailable(StorageError):
    """The object store cannot be reached or failed on its side: worth retrying later."""


class InvalidKey(StorageError):
    """A bucket name or object key that the stores refuse."""


class ObjectExists(StorageError):
    """The key already holds an object, and the write was to create one."""


@dataclass(frozen=True)
class ObjectInfo:
    bucket: str
    key: str
    size: int
    sha256: str | None
    last_modified: datetime


class ObjectStore(Protocol):
    async def ensure_bucket(self, bucket: str) -> None: ...

    async def put(
        self,
        bucket: str,
        key: str,
        chunks: AsyncIterable[bytes],
        *,
        content_type: str = DEFAULT_CONTENT_TYPE,
    ) -> ObjectInfo:
        """Stream ``chunks`` into the object, replacing any previous one."""
        ...

    def get(self, bucket: str, key: str, *, chunk_size: int = CHUNK_SIZE) -> AsyncIterator[bytes]:
        """Chunks of at most ``chunk_size`` bytes; errors are raised on the first iteration."""
        ...

    async def stat(self, bucket: str, key: str) -> ObjectInfo: ...

    async def list(self, bucket: str, prefix: str = "") -> builtins.list[ObjectInfo]:
        """Every object whose key starts with ``prefix``, sorted by key, in one list."""
        ...

    async def delete(self, bucket: str, key: str) -> None:
        """Remove the object if it exists."""
        ...


def create_object_store(settings: ServiceSettings) -> ObjectStore:
    if settings.storage_backend == "s3":
        return S3ObjectStore(
            settings.s3_endpoint,
            settings.s3_access_key,
            settings.s3_secret_key.get_secret_value(),
            secure=settings.s3_secure,
            region=settings.s3_region,
        )
    return FilesystemObjectStore(settings.storage_path)


async def put_new(
    store: ObjectStore,
    bucket: str,
    key: str,
    chunks: AsyncIterable[bytes],
    *,
    content_type: str = DEFAULT_CONTENT_TYPE,
) -> ObjectInfo:
    """``put``, refused with :class:`ObjectExists` if the key already holds an object."""
    try:
        await store.stat(bucket, key)
    except ObjectNotFound:
        return await store.put(bucket, key, chunks, content_type=content_type)
    raise ObjectExists(f"{bucket}/{key} already exists")


async def download(store: ObjectStore, bucket: str, key: str, target: Path) -> None:
    """The object written to ``target`` whole or not at all (through a temporary file)."""
    partial = target.with_name(f"{_TEMP_PREFIX}{uuid.uuid4().hex}")
    try:
        with partial.open("wb") as file:
            async for chunk in store.get(bucket, key):
                await asyncio.to_thread(file.write, chunk)
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)


def _check_bucket(bucket: str) -> None:
    if not _BUCKET_NAME.fullmatch(bucket) or ".." in bucket:
        raise InvalidKey(f"invalid bucket name {bucket!r}")


def _check_key(key: str) -> None:
    try:
        size = len(key.encode())
    except UnicodeEncodeError:
        size = 0
    segments = key.split("/")
    if not 0 < size <= MAX_KEY_BYTES or "\0" in key or not all(map(_valid_segment, segments)):
        raise InvalidKey(f"invalid object key {key!r}")


def _valid_segment(segment: str) -> bool:
    return segment not in ("", ".", "..") and not segment.startswith(_TEMP_PREFIX)


class FilesystemObjectStore:
    """Objects as files under ``root/<bucket>/<key>``; ``content_type`` is not kept."""

    def __init__(self, root: Path) -> None:
        self._root = root

    async def ensure_bucket(self, bucket: str) -> None:
        await asyncio.to_thread(_make_folder, self._bucket_dir(bucket))

    async def put(
        self,
        bucket: str,
        key: str,
        chunks: AsyncIterable[bytes],
        *,
        content_type: str = DEFAULT_CONTENT_TYPE,
    ) -> ObjectInfo:
        bucket_dir, path = self._bucket_dir(bucket), self._path(bucket, key)
        file = await asyncio.to_thread(_open_temp, path, bucket_dir=bucket_dir)
        digest = hashlib.sha256()
        try:
            async for chunk in chunks:
                await asyncio.to_thread(_write, file, digest, chunk)
            await asyncio.to_thread(_flush, file)
            status = _commit(file, path)
        except BaseException:
            _discard(file, bucket_dir=bucket_dir)
            raise
        return _file_info(bucket, key, status, sha256=digest.hexdigest())

    async def get(
        self, bucket: str, key: str, *, chunk_size: int = CHUNK_SIZE
    ) -> AsyncIterator[bytes]:
        file = await asyncio.to_thread(_open_object, self._path(bucket, key), f"{bucket}/{key}")
        try:
            while chunk := await asyncio.to_thread(_read, file, chunk_size):
                yield chunk
        finally:
            file.close()

    async def stat(self, bucket: str, key: str) -> ObjectInfo:
        status = await asyncio.to_thread(_stat, self._path(bucket, key), f"{bucket}/{key}")
        return _file_info(bucket, key, status)

    async def list(self, bucket: str, prefix: str = "") -> builtins.list[ObjectInfo]:
        return await asyncio.to_thread(_scan, bucket, self._bucket_dir(bucket), prefix)

    async def delete(self, bucket: str, key: str) -> None:
        path = self._path(bucket, key)
        await asyncio.to_thread(_remove, path, bucket_dir=self._bucket_dir(bucket))

    def _bucket_dir(self, bucket: str) -> Path:
        _check_bucket(bucket)
        return self._root / bucket

    def _path(self, bucket: str, key: str) -> Path:
        _check_key(key)
        return self._bucket_dir(bucket) / key


def _os_errors(function: Callable[_P, _T]) -> Callable[_P, _T]:
    """Raise the ``OSError`` that ``function`` did not expect as a :class:`StorageError`."""

    @functools.wraps(function)
    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _T:
        try:
            return function(*args, **kwargs)
        except OSError as exc:
            raise StorageError(str(exc)) from exc

    return wrapper


@_os_errors
def _make_folder(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)


@_os_errors
def _open_temp(path: Path, *, bucket_dir: Path) -> io.BufferedWriter:
    if not bucket_dir.is_dir():
        raise StorageError(f"no bucket {bucket_dir.name!r}")
    temp = path.with_name(f"{_TEMP_PREFIX}{uuid.uuid4().hex}")
    for _ in range(3):
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            return temp.open("xb")
        except FileNotFoundError:
            continue  # a concurrent delete pruned the folder between mkdir and open
        except (FileExistsError, NotADirectoryError) as exc:
            raise InvalidKey(f"a folder of {path} is an object") from exc
    raise StorageError(f"the folder of {path} keeps being removed")


@_os_errors
def _write(file: io.BufferedWriter, digest: "hashlib._Hash", chunk: bytes) -> None:
    digest.update(chunk)
    file.write(chunk)


@_os_errors
def _flush(file: io.BufferedWriter) -> None:
    file.flush()
    os.fsync(file.fileno())


@_os_errors
def _commit(file: io.BufferedWriter, path: Path) -> os.stat_result:
    status = os.fstat(file.fileno())
    file.close()
    try:
        os.replace(file.name, path)
    except IsADirectoryError as exc:
        raise InvalidKey(f"{path} is a folder of other objects") from exc
    return status


def _discard(file: io.BufferedWriter, *, bucket_dir: Path) -> None:
    temp = Path(file.name)
    with contextlib.suppress(OSError):
        file.close()
    with contextlib.suppress(OSError):
        temp.unlink(missing_ok=True)
    _prune(temp.parent, bucket_dir=bucket_dir)


@_os_errors
def _remove(path: Path, *, bucket_dir: Path) -> None:
    if path.is_dir():
        return
    try:
        path.unlink(missing_ok=True)
    except NotADirectoryError:
        return
    _prune(path.parent, bucket_dir=bucket_dir)


def _prune(folder: Path, *, bucket_dir: Path) -> None:
    while folder != bucket_dir:
        try:
            folder.rmdir()
        except OSError:
            return
        folder = folder.parent


@_os_errors
def _open_object(path: Path, what: str) -> io.BufferedReader:
    try:
        return path.open("rb")
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError) as exc:
        raise ObjectNotFound(what) from exc


@_os_errors
def _read(file: io.BufferedReader, size: int) -> bytes:
    return file.read(size)


@_os_errors
def _stat(path: Path, what: str) -> os.stat_result:
    try:
        status = path.stat()
    except (FileNotFoundError, NotADirectoryError) as exc:
        raise ObjectNotFound(what) from exc
    if not stat_module.S_ISREG(status.st_mode):
        raise ObjectNotFound(what)
    return status


@_os_errors
def _scan(bucket: str, bucket_dir: Path, prefix: str) -> list[ObjectInfo]:
    found = []
    for folder, _, names in os.walk(bucket_dir):
        for name in names:
            path = Path(folder, name)
            key = path.relative_to(bucket_dir).as_posix()
            if not name.startswith(_TEMP_PREFIX) and key.startswith(prefix):
                with contextlib.suppress(FileNotFoundError):
                    found.append(_file_info(bucket, key, path.stat()))
    return sorted(found, key=attrgetter("key"))


def _file_info(
    bucket: str, key: str, status: os.stat_result, *, sha256: str | None = None
) -> ObjectInfo:
    modified = datetime.fromtimestamp(status.st_mtime, UTC)
    return ObjectInfo(
        bucket=bucket, key=key, size=status.st_size, sha256=sha256, last_modified=modified
    )


class S3ObjectStore:
    """Objects in an S3 API; each blocking ``minio`` call runs in a thread."""

    def __init__(
        self,
        endpoint: str,
        access_key: str,
        secret_key: str,
        *,
        secure: bool,
        region: str,
        part_size: int = PART_SIZE,
    ) -> None:
        self._client = Minio(
            endpoint, access_key=access_key, secret_key=secret_key, secure=secure, region=region
        )
        self._part_size = part_size

    async def ensure_bucket(self, bucket: str) -> None:
        _check_bucket(bucket)
        with _translated(bucket):
            await asyncio.to_thread(self._make_bucket, bucket)

    async def put(
        self,
        bucket: str,
        key: str,
        chunks: AsyncIterable[bytes],
        *,
        content_type: str = DEFAULT_CONTENT_TYPE,
    ) -> ObjectInfo:
        _check_bucket(bucket)
        _check_key(key)
        reader = _ChunkReader(chunks, loop=asyncio.get_running_loop())
        upload = _in_new_thread(lambda: self._upload(bucket, key, reader, content_type))
        try:
            with _translated(f"{bucket}/{key}", missing=StorageError):
                await asyncio.shield(upload)
        except asyncio.CancelledError:
            await self._abandon(bucket, key, reader=reader, upload=upload)
            raise
        info = await self.stat(bucket, key)
        return dataclasses.replace(info, size=reader.size, sha256=reader.digest.hexdigest())

    async def get(
        self, bucket: str, key: str, *, chunk_size: int = CHUNK_SIZE
    ) -> AsyncIterator[bytes]:
        _check_bucket(bucket)
        _check_key(key)
        with _translated(f"{bucket}/{key}"):
            response = await asyncio.to_thread(self._client.get_object, bucket, key)
            try:
                while chunk := await asyncio.to_thread(response.read, chunk_size):
                    yield chunk
            finally:
                response.close()
                response.release_conn()

    async def stat(self, bucket: str, key: str) -> ObjectInfo:
        _check_bucket(bucket)
        _check_key(key)
        with _translated(f"{bucket}/{key}"):
            found = await asyncio.to_thread(self._client.stat_object, bucket, key)
        return _s3_info(bucket, found)

    async def list(self, bucket: str, prefix: str = "") -> builtins.list[ObjectInfo]:
        _check_bucket(bucket)
        with contextlib.suppress(ObjectNotFound), _translated(bucket):
            return await asyncio.to_thread(self._list, bucket, prefix)
        return []

    async def delete(self, bucket: str, key: str) -> None:
        _check_bucket(bucket)
        _check_key(key)
        with contextlib.suppress(ObjectNotFound), _translated(f"{bucket}/{key}"):
            await asyncio.to_thread(self._client.remove_object, bucket, key)

    def _make_bucket(self, bucket: str) -> None:
        if self._client.bucket_exists(bucket):
            return
        try:
            self._client.make_bucket(bucket)
        except S3Error as exc:
            if exc.code != "BucketAlreadyOwnedByYou":
                raise

    def _upload(self, bucket: str, key: str, reader: "_ChunkReader", content_type: str) -> None:
        self._client.put_object(
            bucket,
            key,
            cast(BinaryIO, reader),
            length=-1,
            part_size=self._part_size,
            num_parallel_uploads=1,
            content_type=content_type,
        )

    async def _abandon(
        self, bucket: str, key: str, *, reader: "_ChunkReader", upload: asyncio.Future[None]
    ) -> None:
        reader.abort()
        await asyncio.wait([upload])
        if upload.exception() is None:
            with contextlib.suppress(MinioException, HTTPError):
                await asyncio.to_thread(self._client.remove_object, bucket, key)

    def _list(self, bucket: str, prefix: str) -> builtins.list[ObjectInfo]:
        found = self._client.list_objects(bucket, prefix=prefix, recursive=True)
        return sorted((_s3_info(bucket, item) for item in found), key=attrgetter("key"))


class _ChunkReader:
    """A blocking ``read(size)`` for minio's thread, pulling chunks through the event loop.

    The chunks are hashed and counted as they pass; ``abort`` makes the next read fail.
    """

    def __init__(self, chunks: AsyncIterable[bytes], *, loop: asyncio.AbstractEventLoop) -> None:
        self._chunks = aiter(chunks)
        self._loop = loop
        self._rest = b""
        self._exhausted = False
        self._aborted = False
        self._waiting: concurrent.futures.Future[bytes | None] | None = None
        self._lock = threading.Lock()
        self.digest = hashlib.sha256()
        self.size = 0

    def read(self, size: int = -1) -> bytes:
        parts, count = [self._rest], len(self._rest)
        while (size < 0 or count < size) and (chunk := self._next()) is not None:
            parts.append(chunk)
            count += len(chunk)
        self._rest = b""
        if 0 <= size < count:
            cut = len(parts[-1]) - (count - size)
            parts[-1], self._rest = parts[-1][:cut], parts[-1][cut:]
        return b"".join(parts)

    def abort(self) -> None:
        with self._lock:
            self._aborted = True
            if self._waiting is not None:
                self._waiting.cancel()

    def _next(self) -> bytes | None:
        if self._exhausted:
            return None
        with self._lock:
            if self._aborted:
                raise StorageError("upload abandoned")
            self._waiting = asyncio.run_coroutine_threadsafe(self._anext(), self._loop)
        chunk = self._waiting.result()
        if chunk is None:
            self._exhausted = True
            return None
        self.digest.update(chunk)
        self.size += len(chunk)
        return chunk

    async def _anext(self) -> bytes | None:
        return await anext(self._chunks, None)


def _in_new_thread(function: Callable[[], _T]) -> asyncio.Future[_T]:
    """Run ``function`` in a thread of its own.

    An upload waits on the event loop for its chunks; in the default executor, uploads fed
    by chunks that themselves come from threads could take every worker and deadlock.
    """
    executor = concurrent.futures.ThreadPoolExecutor(max_workers=1)
    try:
        return asyncio.get_running_loop().run_in_executor(executor, function)
    finally:
        executor.shutdown(wait=False)


@contextlib.contextmanager
def _translated(what: str, *, missing: type[StorageError] = ObjectNotFound) -> Iterator[None]:
    try:
        yield
    except S3Error as exc:
        error = missing if exc.code in _MISSING else StorageError
        raise error(f"{what}: {exc.code}: {exc.message}") from exc
    except (MinioException, HTTPError) as exc:
        raise StorageUnavailable(f"{what}: {exc}") from exc


def _s3_info(bucket: str, found: Object) -> ObjectInfo:
    if found.object_name is None or found.size is None or found.last_modified is None:
        raise StorageError(f"incomplete description of {bucket}/{found.object_name}")
    return ObjectInfo(
        bucket=bucket,
        key=found.object_name,
        size=found.size,
        sha256=None,
        last_modified=found.last_modified,
    )


def _object_store(request: Request) -> ObjectStore:
    return service_state(request).object_store


StoreDep = Annotated[ObjectStore, Depends(_object_store)]
