"""The object store contract, run against the filesystem store and a real S3 API (moto)."""

import asyncio
import hashlib
import time
import tracemalloc
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
import pytest

from hdh_common.settings import ServiceSettings
from hdh_common.storage import (
    FilesystemObjectStore,
    InvalidKey,
    ObjectExists,
    ObjectNotFound,
    ObjectStore,
    S3ObjectStore,
    StorageError,
    create_object_store,
    put_new,
)
from hdh_dev.s3server import S3Server

MIB = 1024 * 1024
ACCESS_KEY, SECRET_KEY, REGION = "test-access", "test-secret", "us-east-1"
INVALID_KEYS = [
    "",
    "/absolute",
    "a//b",
    "trailing/",
    "..",
    "../escape",
    "a/../../escape",
    "./a",
    "nul\0byte",
    "x" * 1025,
    "\udcff",
    "a/.hdh-tmp-reserved",
]
INVALID_BUCKETS = ["", "ab", "Upper", "-dash", "a..b", "../up", "a/b", "x" * 64]


class Boom(Exception):
    pass


@pytest.fixture(params=["filesystem", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> ObjectStore:
    if request.param == "filesystem":
        return FilesystemObjectStore(tmp_path / "objects")
    server: S3Server = request.getfixturevalue("s3_server")
    return S3ObjectStore(server.endpoint, ACCESS_KEY, SECRET_KEY, secure=False, region=REGION)


@pytest.fixture
async def bucket(store: ObjectStore) -> str:
    name = f"test-{uuid.uuid4().hex[:12]}"
    await store.ensure_bucket(name)
    return name


@pytest.fixture
def leftovers(
    request: pytest.FixtureRequest, store: ObjectStore, bucket: str, tmp_path: Path
) -> Callable[[], list[str]]:
    """What a failed put could leave behind: files and folders, or S3 multipart uploads."""
    if isinstance(store, FilesystemObjectStore):
        folder = tmp_path / "objects" / bucket
        return lambda: tree(folder)
    server: S3Server = request.getfixturevalue("s3_server")
    client = boto3.client(
        "s3",
        endpoint_url=f"http://{server.endpoint}",
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        region_name=REGION,
    )
    return lambda: [
        u["Key"] for u in client.list_multipart_uploads(Bucket=bucket).get("Uploads", [])
    ]


async def chunks_of(*parts: bytes) -> AsyncIterator[bytes]:
    for part in parts:
        yield part


async def failing_after(size: int) -> AsyncIterator[bytes]:
    for _ in range(size // MIB):
        yield bytes(MIB)
    yield bytes(size % MIB)
    raise Boom


async def read_all(store: ObjectStore, bucket: str, key: str) -> bytes:
    return b"".join([chunk async for chunk in store.get(bucket, key)])


def tree(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*"))


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize(
    "parts",
    [(), (b"",), (b"hello",), (b"he", b"", b"llo ", b"world" * 1000)],
    ids=["no-chunk", "empty-chunk", "one-chunk", "several-chunks"],
)
async def test_put_then_get_round_trips(
    store: ObjectStore, bucket: str, parts: tuple[bytes, ...]
) -> None:
    data = b"".join(parts)

    info = await store.put(bucket, "folder/object.bin", chunks_of(*parts))

    assert (info.bucket, info.key, info.size) == (bucket, "folder/object.bin", len(data))
    assert info.sha256 == sha256(data)
    assert await read_all(store, bucket, "folder/object.bin") == data


async def test_stat_reports_size_and_time_but_not_the_digest(
    store: ObjectStore, bucket: str
) -> None:
    put = await store.put(bucket, "k", chunks_of(b"12345"))

    info = await store.stat(bucket, "k")

    assert (info.bucket, info.key, info.size, info.sha256) == (bucket, "k", 5, None)
    assert info.last_modified.utcoffset() == timedelta(0)
    assert abs(info.last_modified - datetime.now(UTC)) < timedelta(minutes=1)
    assert put.last_modified == info.last_modified


async def test_put_replaces_the_object(store: ObjectStore, bucket: str) -> None:
    await store.put(bucket, "k", chunks_of(b"first version"))
    await store.put(bucket, "k", chunks_of(b"second"))

    assert await read_all(store, bucket, "k") == b"second"
    assert (await store.stat(bucket, "k")).size == 6


async def test_put_new_creates_but_never_replaces(store: ObjectStore, bucket: str) -> None:
    info = await put_new(store, bucket, "once/k", chunks_of(b"first version"))
    with pytest.raises(ObjectExists):
        await put_new(store, bucket, "once/k", chunks_of(b"second"))

    assert info.sha256 == sha256(b"first version")
    assert await read_all(store, bucket, "once/k") == b"first version"


async def test_get_streams_chunks_of_the_requested_size(store: ObjectStore, bucket: str) -> None:
    data = bytes(range(256)) * 40
    await store.put(bucket, "k", chunks_of(data))

    chunks = [chunk async for chunk in store.get(bucket, "k", chunk_size=4096)]

    assert [len(c) for c in chunks] == [4096, 4096, 2048]
    assert b"".join(chunks) == data


async def test_list_filters_by_prefix_and_sorts_by_key(store: ObjectStore, bucket: str) -> None:
    for key in ["b/2", "a/2", "ab", "a/1", "a.txt", "a/deep/er"]:
        await store.put(bucket, key, chunks_of(key.encode()))

    everything = await store.list(bucket)
    folder_a = await store.list(bucket, prefix="a/")

    assert [i.key for i in everything] == ["a.txt", "a/1", "a/2", "a/deep/er", "ab", "b/2"]
    assert [(i.key, i.size, i.bucket) for i in folder_a] == [
        ("a/1", 3, bucket),
        ("a/2", 3, bucket),
        ("a/deep/er", 9, bucket),
    ]
    assert [i.key for i in await store.list(bucket, prefix="a")] == [
        "a.txt",
        "a/1",
        "a/2",
        "a/deep/er",
        "ab",
    ]
    assert await store.list(bucket, prefix="c") == []


async def test_delete_is_idempotent(store: ObjectStore, bucket: str) -> None:
    await store.put(bucket, "folder/k", chunks_of(b"x"))
    await store.put(bucket, "other", chunks_of(b"y"))

    await store.delete(bucket, "folder/k")
    await store.delete(bucket, "folder/k")
    await store.delete(bucket, "never/was")

    with pytest.raises(ObjectNotFound):
        await store.stat(bucket, "folder/k")
    assert [i.key for i in await store.list(bucket)] == ["other"]


async def test_a_deleted_key_prefix_can_become_an_object(store: ObjectStore, bucket: str) -> None:
    await store.put(bucket, "a/b", chunks_of(b"x"))
    await store.delete(bucket, "a/b")

    await store.put(bucket, "a", chunks_of(b"now a file"))

    assert await read_all(store, bucket, "a") == b"now a file"


async def test_missing_object_is_not_found(store: ObjectStore, bucket: str) -> None:
    await store.put(bucket, "present", chunks_of(b"x"))

    with pytest.raises(ObjectNotFound):
        await store.stat(bucket, "absent")
    with pytest.raises(ObjectNotFound):
        await read_all(store, bucket, "absent")
    with pytest.raises(ObjectNotFound):
        await store.stat(bucket, "present/below")


async def test_missing_bucket_holds_nothing(store: ObjectStore) -> None:
    bucket = f"missing-{uuid.uuid4().hex[:12]}"

    with pytest.raises(ObjectNotFound):
        await store.stat(bucket, "k")
    with pytest.raises(ObjectNotFound):
        await read_all(store, bucket, "k")
    assert await store.list(bucket) == []
    await store.delete(bucket, "k")
    with pytest.raises(StorageError) as raised:
        await store.put(bucket, "k", chunks_of(b"x"))
    assert not isinstance(raised.value, ObjectNotFound)


async def test_ensure_bucket_is_idempotent(store: ObjectStore, bucket: str) -> None:
    await store.put(bucket, "k", chunks_of(b"kept"))

    await store.ensure_bucket(bucket)

    assert await read_all(store, bucket, "k") == b"kept"


@pytest.mark.parametrize("key", INVALID_KEYS)
async def test_invalid_keys_are_refused(store: ObjectStore, bucket: str, key: str) -> None:
    with pytest.raises(InvalidKey):
        await store.put(bucket, key, chunks_of(b"x"))
    with pytest.raises(InvalidKey):
        await store.stat(bucket, key)
    with pytest.raises(InvalidKey):
        await read_all(store, bucket, key)
    with pytest.raises(InvalidKey):
        await store.delete(bucket, key)
    assert await store.list(bucket) == []


@pytest.mark.parametrize("name", INVALID_BUCKETS)
async def test_invalid_bucket_names_are_refused(store: ObjectStore, name: str) -> None:
    with pytest.raises(InvalidKey):
        await store.ensure_bucket(name)
    with pytest.raises(InvalidKey):
        await store.put(name, "k", chunks_of(b"x"))
    with pytest.raises(InvalidKey):
        await store.list(name)


async def test_the_longest_valid_key_round_trips(store: ObjectStore, bucket: str) -> None:
    key = "/".join(["x" * 200] * 5) + "/" + "y" * 19

    await store.put(bucket, key, chunks_of(b"x"))

    assert len(key.encode()) == 1024
    assert [i.key for i in await store.list(bucket)] == [key]


@pytest.mark.parametrize("size", [1000, 20 * MIB], ids=["small", "multipart"])
async def test_a_failed_put_leaves_no_object(
    store: ObjectStore, bucket: str, leftovers: Callable[[], list[str]], size: int
) -> None:
    with pytest.raises(Boom):
        await store.put(bucket, "folder/k", failing_after(size))

    with pytest.raises(ObjectNotFound):
        await store.stat(bucket, "folder/k")
    assert await store.list(bucket) == []
    assert leftovers() == []


async def test_a_failed_put_keeps_the_previous_object(store: ObjectStore, bucket: str) -> None:
    await store.put(bucket, "k", chunks_of(b"previous"))

    with pytest.raises(Boom):
        await store.put(bucket, "k", failing_after(10 * MIB))

    assert await read_all(store, bucket, "k") == b"previous"


async def test_a_cancelled_put_leaves_no_object(
    store: ObjectStore, bucket: str, leftovers: Callable[[], list[str]]
) -> None:
    stalled = asyncio.Event()

    async def stalling() -> AsyncIterator[bytes]:
        yield bytes(9 * MIB)
        stalled.set()
        await asyncio.Event().wait()
        yield b"never"

    put = asyncio.create_task(store.put(bucket, "folder/k", stalling()))
    await asyncio.wait_for(stalled.wait(), timeout=10)
    put.cancel()

    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(put, timeout=30)
    with pytest.raises(ObjectNotFound):
        await store.stat(bucket, "folder/k")
    assert leftovers() == []


async def test_concurrent_puts_fed_from_threads_complete(store: ObjectStore, bucket: str) -> None:
    async def from_threads(index: int) -> AsyncIterator[bytes]:
        for _ in range(3):
            yield await asyncio.to_thread(str(index).encode)

    async def put(index: int) -> None:
        await store.put(bucket, f"k{index:02}", from_threads(index))

    await asyncio.wait_for(asyncio.gather(*(put(i) for i in range(40))), timeout=30)

    listed = await store.list(bucket)
    assert [(i.key, i.size) for i in listed] == [(f"k{i:02}", 3 * len(str(i))) for i in range(40)]


async def test_64_mib_streams_through_in_bounded_memory(store: ObjectStore, bucket: str) -> None:
    expected = hashlib.sha256()

    async def generate() -> AsyncIterator[bytes]:
        for index in range(64):
            chunk = index.to_bytes(4, "big") * (MIB // 4)
            expected.update(chunk)
            yield chunk

    tracing = tracemalloc.is_tracing()
    if not tracing:
        tracemalloc.start()
    tracemalloc.reset_peak()
    baseline = tracemalloc.get_traced_memory()[0]
    started = time.perf_counter()
    try:
        info = await store.put(bucket, "big.bin", generate())
        digest, size = hashlib.sha256(), 0
        async for chunk in store.get(bucket, "big.bin"):
            digest.update(chunk)
            size += len(chunk)
        peak = tracemalloc.get_traced_memory()[1] - baseline
    finally:
        if not tracing:
            tracemalloc.stop()
    seconds = time.perf_counter() - started

    assert info.size == size == 64 * MIB
    assert info.sha256 == digest.hexdigest() == expected.hexdigest()
    assert peak < 32 * MIB, f"peak {peak / MIB:.1f} MiB in {seconds:.1f}s"


async def test_filesystem_store_writes_nothing_outside_its_root(tmp_path: Path) -> None:
    store = FilesystemObjectStore(tmp_path / "root" / "objects")
    await store.ensure_bucket("bucket")

    for key in ["../../escape", "/tmp/escape", "a/../../../escape"]:
        with pytest.raises(InvalidKey):
            await store.put("bucket", key, chunks_of(b"x"))

    assert tree(tmp_path) == ["root", "root/objects", "root/objects/bucket"]


async def test_filesystem_store_refuses_a_key_below_an_object(tmp_path: Path) -> None:
    store = FilesystemObjectStore(tmp_path)
    await store.ensure_bucket("bucket")
    await store.put("bucket", "a", chunks_of(b"x"))
    await store.put("bucket", "b/c", chunks_of(b"y"))

    with pytest.raises(InvalidKey):
        await store.put("bucket", "a/below", chunks_of(b"z"))
    with pytest.raises(InvalidKey):
        await store.put("bucket", "b", chunks_of(b"z"))

    assert [i.key for i in await store.list("bucket")] == ["a", "b/c"]


def test_create_object_store_builds_the_filesystem_store_lazily(tmp_path: Path) -> None:
    settings = ServiceSettings(storage_backend="filesystem", storage_path=tmp_path / "objects")

    store = create_object_store(settings)

    assert isinstance(store, FilesystemObjectStore)
    assert not (tmp_path / "objects").exists()


async def test_create_object_store_connects_s3_from_settings(s3_server: S3Server) -> None:
    settings = ServiceSettings(
        storage_backend="s3",
        s3_endpoint=s3_server.endpoint,
        s3_access_key=ACCESS_KEY,
        s3_secret_key=SECRET_KEY,
        s3_secure=False,
        s3_region=REGION,
    )
    store = create_object_store(settings)
    bucket = f"settings-{uuid.uuid4().hex[:12]}"

    await store.ensure_bucket(bucket)
    await store.put(bucket, "k", chunks_of(b"through settings"))

    assert isinstance(store, S3ObjectStore)
    assert await read_all(store, bucket, "k") == b"through settings"
