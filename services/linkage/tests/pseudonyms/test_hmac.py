import base64
import hmac
import os
import pickle
from types import ModuleType

import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from linkage.pseudonyms.hmac import DIGEST_BYTES, PSEUDONYM_CHARS, KeyedHasher

KEY = bytes(range(32))


def expected(key: bytes, message: bytes) -> str:
    digest = hmac.digest(key, message, "sha256")[:DIGEST_BYTES]
    return base64.urlsafe_b64encode(digest).decode()


@given(st.lists(st.one_of(st.none(), st.text(max_size=40)), max_size=30))
def test_pseudonyms_are_the_truncated_hmac_sha256(values: list[str | None]) -> None:
    hasher = KeyedHasher(KEY, tag=b"nir\x00")
    out = hasher.pseudonyms(pa.array(values, pa.string())).to_pylist()
    assert out == [None if v is None else expected(KEY, b"nir\x00" + v.encode()) for v in values]


def test_long_keys_and_binary_values_follow_rfc_2104() -> None:
    key = os.urandom(100)
    hasher = KeyedHasher(key)
    assert hasher.digest(b"abc") == hmac.digest(key, b"abc", "sha256")
    assert hasher.pseudonyms(pa.array([b"abc"]))[0].as_py() == expected(key, b"abc")


def test_same_value_same_pseudonym_other_key_or_tag_other_pseudonym() -> None:
    values = pa.array(["184127645108946", "184127645108946", "284127645108946"])
    one = KeyedHasher(KEY).pseudonyms(values).to_pylist()
    assert one[0] == one[1] != one[2]
    assert len(one[0]) == PSEUDONYM_CHARS
    assert KeyedHasher(os.urandom(32)).pseudonyms(values).to_pylist()[0] != one[0]
    assert KeyedHasher(KEY, tag=b"x").pseudonyms(values).to_pylist()[0] != one[0]


def test_chunked_and_empty_inputs() -> None:
    hasher = KeyedHasher(KEY)
    chunked = pa.chunked_array([["a"], ["b", None]])
    assert hasher.pseudonyms(chunked).to_pylist()[2] is None
    assert hasher.pseudonyms(pa.array([None, None], pa.string())).null_count == 2


def test_the_key_never_shows_and_short_keys_are_refused() -> None:
    assert KEY.hex() not in repr(KeyedHasher(KEY))
    with pytest.raises(ValueError, match="128 bits"):
        KeyedHasher(b"short")


def test_mostly_distinct_batches_skip_deduplication_with_the_same_result() -> None:
    hasher, fresh = KeyedHasher(KEY), KeyedHasher(KEY)
    distinct = pa.array([f"v{i}" for i in range(100)])
    hasher.pseudonyms(distinct)  # learns the data is distinct
    mixed = pa.array(["v1", None, "v2", "v1", None])
    assert hasher.pseudonyms(mixed).to_pylist() == fresh.pseudonyms(mixed).to_pylist()


@given(st.lists(st.binary(max_size=150), min_size=1, max_size=40), st.integers(0, 5))
def test_the_c_kernel_and_the_python_path_agree(
    kernel: ModuleType, values: list[bytes], cut: int
) -> None:
    hasher = KeyedHasher(KEY, tag=b"tag\x00")
    for array in (pa.array(values, pa.binary()), pa.array(values, pa.large_binary())):
        sliced = array.slice(min(cut, len(values) - 1))
        assert hasher._native(sliced) == hasher._truncated(sliced.to_pylist())


@given(
    st.lists(st.one_of(st.none(), st.binary(max_size=90)), min_size=1, max_size=60),
    st.integers(0, 5),
    st.sampled_from([b"", b"nir\x00", b"t" * 64]),
)
def test_the_arrow_kernel_gives_the_python_paths_pseudonyms(
    kernel: ModuleType, values: list[bytes | None], cut: int, tag: bytes
) -> None:
    hasher = KeyedHasher(KEY, tag=tag)
    want = [None if v is None else expected(KEY, tag + v) for v in values]
    for kind in (pa.binary(), pa.large_binary()):
        sliced = pa.array(values + values, kind).slice(min(cut, len(values)))
        out = hasher.pseudonyms(sliced)
        out.validate(full=True)
        assert out.type == pa.string()
        assert out.to_pylist() == (want + want)[min(cut, len(values)) :]


def test_large_batches_run_on_threads_with_and_without_deduplication() -> None:
    hasher = KeyedHasher(KEY)
    values = pa.array([None if i % 11 == 0 else f"{i % 30_000:015d}" for i in range(120_000)])
    first, second = hasher.pseudonyms(values), hasher.pseudonyms(values)
    assert first.equals(second) and first.null_count == values.null_count
    distinct = pa.array([f"{i:015d}" for i in range(120_000)])
    hasher.pseudonyms(distinct)  # mostly distinct: the next batch skips the hash table
    assert not hasher._dedupe
    assert hasher.pseudonyms(values).equals(first)
    assert first[1].as_py() == expected(KEY, b"000000000000001")


def test_without_the_c_kernel_the_python_path_gives_the_same_pseudonyms(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from linkage.identifiers import nir
    from linkage.pseudonyms import hmac as module

    values = pa.array(["184127645108946", None, "1 84 12 76 451 089 46", "18412764510894"])
    native = KeyedHasher(KEY).pseudonyms(nir.check(values).values)
    monkeypatch.setattr(module, "_native", None)
    checked = nir.check(values)
    assert checked.invalid == {nir.RULE_LENGTH: 1} and checked.missing == 1
    assert KeyedHasher(KEY).pseudonyms(checked.values).equals(native)
    assert native[0].as_py() == native[2].as_py() == expected(KEY, b"184127645108946")


@pytest.mark.parametrize("size", [16, 32, 100])
def test_a_pickled_hasher_keys_the_same_pseudonyms_and_shows_no_key(size: int) -> None:
    key = os.urandom(size)
    hasher = KeyedHasher(key, tag=b"nir\x00")
    values = pa.array(["184127645108946", None, "x" * 70])
    copy = pickle.loads(pickle.dumps(hasher))  # noqa: S301 (our own bytes)
    assert copy.pseudonyms(values).equals(hasher.pseudonyms(values))
    assert copy.pseudonyms(values)[0].as_py() == expected(key, b"nir\x00184127645108946")
    assert key.hex() not in repr(copy)
