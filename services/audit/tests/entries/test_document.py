"""The one-pass encoding of an entry writes exactly the RFC 8785 JSON of its document."""

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audit.canonical import canonical_json
from audit.entries.document import TEXT_FIELDS, encode_entry, entry_document

KEYS = st.text(max_size=6) | st.sampled_from(["\U0001f600", "\ufb33", "\u20ac", "\r", "a"])
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**64), max_value=2**64)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12)
)
JSON = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=4),
    max_leaves=12,
)
TEXT = st.none() | st.text(max_size=12) | st.sampled_from(["\u0000", "\u2028", '"\\', "\x1f"])
ZONES = st.sampled_from([UTC, timezone(timedelta(hours=2)), timezone(timedelta(hours=-9.5))])


def reference(fields: dict[str, Any]) -> bytes | type[Exception]:
    try:
        return canonical_json(entry_document(fields))
    except Exception as exc:  # the same failure is expected from both ways
        return type(exc)


def encoded(fields: dict[str, Any]) -> bytes | type[Exception]:
    try:
        result = encode_entry(fields)
    except Exception as exc:
        return type(exc)
    assert json.loads(result.payload) == fields["payload"]
    return result.document


@settings(max_examples=300, deadline=None)
@given(
    texts=st.fixed_dictionaries({name: TEXT for name in TEXT_FIELDS}),
    time=st.datetimes(timezones=ZONES),
    payload=st.dictionaries(KEYS, JSON, max_size=5),
)
def test_one_pass_encoding_is_the_canonical_json_of_the_document(
    texts: dict[str, Any], time: datetime, payload: dict[str, Any]
) -> None:
    fields = {**texts, "time": time, "payload": payload}
    assert encoded(fields) == reference(fields)


@pytest.mark.parametrize(
    "changes",
    [
        {"actor": 7},
        {"project": True},
        {"actor": "\ud800"},
        {"payload": {"n": 2**60}},
        {"payload": {"x": 0.1, "\U0001f600": 1, "\ufb33": 2}},
        {"time": datetime(2026, 11, 29, 12, 30)},
    ],
)
def test_values_off_the_fast_path_give_the_same_bytes(changes: dict[str, Any]) -> None:
    fields: dict[str, Any] = {name: f"{name}-é" for name in TEXT_FIELDS}
    fields |= {"time": datetime(2026, 11, 29, 12, 30, tzinfo=UTC), "payload": {"k": [1, None]}}
    fields |= changes
    assert encoded(fields) == reference(fields)
