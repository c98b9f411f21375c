import uuid
from datetime import UTC, datetime

import pytest

from hdh_common.pagination import (
    InvalidCursor,
    decode_cursor,
    encode_cursor,
    time_key_after,
    time_key_cursor,
)


def test_a_time_key_round_trips() -> None:
    key = (datetime(2026, 11, 29, 12, 0, tzinfo=UTC), uuid.uuid4())
    assert time_key_after(time_key_cursor(*key)) == key


@pytest.mark.parametrize(
    "cursor",
    ["%%%", encode_cursor(["x"]), encode_cursor(["not a date", "not a uuid"]), encode_cursor({})],
)
def test_a_forged_time_key_is_an_invalid_cursor(cursor: str) -> None:
    with pytest.raises(InvalidCursor):
        time_key_after(cursor)


def test_values_that_do_not_parse_are_an_invalid_cursor() -> None:
    with pytest.raises(InvalidCursor):
        decode_cursor(encode_cursor(["abc"]), length=1, parse=(int,))
    assert decode_cursor(encode_cursor([42]), length=1, parse=(int,)) == [42]


@pytest.mark.parametrize("instant", ["0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-10:00"])
def test_an_instant_out_of_range_is_an_invalid_cursor(instant: str) -> None:
    with pytest.raises(InvalidCursor):
        time_key_after(encode_cursor([instant, str(uuid.uuid4())]))
