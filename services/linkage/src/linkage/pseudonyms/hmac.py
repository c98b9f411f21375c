"""HMAC-SHA-256 (RFC 2104) over pyarrow arrays.

The C kernel ``_hmac`` (built with the package where a compiler and OpenSSL's headers are
present) reads an Arrow string or binary array straight from its buffers and writes the
pseudonyms' string array, without the GIL, on a few threads, with OpenSSL's SHA-256 (EVP API,
CPU SHA extensions). Without it, a Python loop over precomputed HMAC inner and outer states
does the same, slower; :func:`kernel_name` says which path runs. Repeated values within a
batch are hashed once (a hash table) while batches show repetition.
A pseudonym is the first :data:`DIGEST_BYTES` bytes of the HMAC, base64url-encoded: 32
ASCII characters, 192 bits.
"""

import base64
import functools
import hashlib
import importlib
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from types import ModuleType

import pyarrow as pa
import pyarrow.compute as pc


def _load_native() -> ModuleType | None:
    try:
        return importlib.import_module("linkage.pseudonyms._hmac")
    except ImportError:  # no C compiler where the package was installed: the Python path
        return None


_native = _load_native()


def native_kernel() -> ModuleType | None:
    """The C kernel, or None where it was not built."""
    return _native


def kernel_name() -> str:
    """``native`` where the C kernel runs, else ``python``."""
    return "python" if _native is None else "native"


DIGEST_BYTES = 24
THREADS = min(os.cpu_count() or 1, 4)
PARALLEL_FROM = 50_000
PSEUDONYM_CHARS = DIGEST_BYTES * 4 // 3
_BLOCK = 64
_NATIVE_MAX_ROWS = (2**31 - 1) // PSEUDONYM_CHARS
# Arrow types read straight from their buffers, and whether their offsets are 64-bit.
_VARIABLE_WIDTH = {
    pa.string(): False,
    pa.binary(): False,
    pa.large_string(): True,
    pa.large_binary(): True,
}


class KeyedHasher:
    """HMAC-SHA-256 under one key, with a context ``tag`` prefixed to every message."""

    def __init__(self, key: bytes, *, tag: bytes = b"") -> None:
        if len(key) < 16:
            raise ValueError("an HMAC key needs at least 128 bits")
        if len(tag) > _BLOCK:
            raise ValueError("a context tag is at most 64 bytes")
        self._dedupe = True
        self._batches = 0
        padded = (hashlib.sha256(key).digest() if len(key) > _BLOCK else key).ljust(_BLOCK, b"\0")
        self._inner_block = bytes(b ^ 0x36 for b in padded) + tag
        self._outer_block = bytes(b ^ 0x5C for b in padded)
        self._inner = hashlib.sha256(self._inner_block)
        self._outer = hashlib.sha256(self._outer_block)

    def __repr__(self) -> str:
        return "KeyedHasher(<key hidden>)"

    def __reduce__(self) -> tuple[Callable[[bytes, bytes], "KeyedHasher"], tuple[bytes, bytes]]:
        """Pickled (for Spark's executors, inside a task's closure) as bytes: the key's padded
        block, which keys the same HMAC, and the tag."""
        padded = bytes(b ^ 0x36 for b in self._inner_block[:_BLOCK])
        return _restored, (padded, self._inner_block[_BLOCK:])

    def digest(self, message: bytes) -> bytes:
        inner = self._inner.copy()
        inner.update(message)
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.digest()

    def _truncated(self, messages: list[bytes]) -> bytes:
        inner_copy, outer_copy = self._inner.copy, self._outer.copy
        parts: list[bytes] = []
        append = parts.append
        for message in messages:
            inner = inner_copy()
            inner.update(message)
            outer = outer_copy()
            outer.update(inner.digest())
            append(outer.digest()[:DIGEST_BYTES])
        return b"".join(parts)

    def _native(self, values: pa.Array) -> bytes:
        """The C kernel, on slices run in threads (it releases the GIL)."""
        assert _native is not None
        _, offsets, data = values.buffers()
        wide = pa.types.is_large_binary(values.type)
        step = max(-(-len(values) // THREADS), PARALLEL_FROM)

        def run(start: int) -> bytes:
            assert _native is not None and offsets is not None
            count = min(step, len(values) - start)
            return bytes(
                _native.hmac_batch(
                    self._inner_block,
                    self._outer_block,
                    offsets,
                    data if data is not None else b"",
                    values.offset + start,
                    count,
                    wide,
                    DIGEST_BYTES,
                )
            )

        starts = range(0, len(values), step)
        if len(starts) == 1:
            return run(0)
        return b"".join(_pool().map(run, starts))

    def pseudonyms(self, values: pa.Array) -> pa.Array:
        """The pseudonym of every value (null stays null), as a string array.

        Repeated values are hashed once; when batches turn out to hold mostly distinct
        values, deduplication (a hash table pass) is skipped, re-checked every 16 batches.
        """
        if isinstance(values, pa.ChunkedArray):
            values = values.combine_chunks()
        if values.type not in _VARIABLE_WIDTH:
            values = pc.cast(values, pa.binary())
        if _native is not None and 0 < len(values) <= _NATIVE_MAX_ROWS:
            return self._native_pseudonyms(values)
        binary = pc.cast(values, pa.binary())
        self._batches += 1
        if self._dedupe or self._batches % 16 == 0:
            encoded = binary.dictionary_encode()
            distinct = encoded.dictionary
            self._dedupe = len(distinct) < 0.8 * max(len(binary) - binary.null_count, 1)
            return pc.take(self._hashed(distinct), encoded.indices)
        hashed = self._hashed(binary.drop_null())
        if not binary.null_count:
            return hashed
        valid = pc.is_valid(binary)
        positions = pc.subtract(pc.cumulative_sum(pc.cast(valid, pa.int64())), 1)
        return pc.take(hashed, pc.if_else(valid, positions, None))

    def _native_pseudonyms(self, values: pa.Array) -> pa.Array:
        assert _native is not None
        validity, offsets, data = values.buffers()
        if values.null_count == 0:
            validity = None
        self._batches += 1
        dedupe = self._dedupe or self._batches % 16 == 0
        out_validity, out_offsets, out_data, nulls, hashed = _native.pseudonyms(
            self._inner_block,
            self._outer_block,
            validity,
            offsets,
            data if data is not None else b"",
            values.offset,
            len(values),
            _VARIABLE_WIDTH[values.type],
            DIGEST_BYTES,
            THREADS if len(values) >= PARALLEL_FROM else 1,
            dedupe,
        )
        if dedupe:
            self._dedupe = hashed < 0.8 * max(len(values) - nulls, 1)
        bitmap = None if out_validity is None else pa.py_buffer(out_validity)
        buffers = [bitmap, pa.py_buffer(out_offsets), pa.py_buffer(out_data)]
        return pa.Array.from_buffers(pa.string(), len(values), buffers, null_count=nulls)

    def _hashed(self, distinct: pa.Array) -> pa.Array:
        if len(distinct) == 0:
            return pa.array([], pa.string())
        digests = (
            self._native(distinct) if _native is not None else self._truncated(distinct.to_pylist())
        )
        text = base64.urlsafe_b64encode(digests)
        hashed = pa.FixedSizeBinaryArray.from_buffers(
            pa.binary(PSEUDONYM_CHARS), len(distinct), [None, pa.py_buffer(text)]
        )
        return hashed.cast(pa.binary()).cast(pa.string())


def _restored(padded: bytes, tag: bytes) -> KeyedHasher:
    return KeyedHasher(padded, tag=tag)


@functools.cache
def _pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(THREADS, thread_name_prefix="hmac")
