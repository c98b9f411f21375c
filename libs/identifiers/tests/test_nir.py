import re
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hdh_identifiers import nir
from hdh_identifiers.nir_arrow import control_keys, keys_match


def published_key(body: str) -> int:
    """The rule as published: Corsica's 2A counts as 19 and 2B as 18."""
    return 97 - int(body.upper().replace("2A", "19").replace("2B", "18")) % 97


bodies = st.from_regex(r"\A[1-8][0-9]{4}([0-9]{2}|2A|2B)[0-9]{6}\Z")


def test_the_textbook_example_and_corsica() -> None:
    assert nir.control_key("1841276451089") == 46
    assert nir.control_key("169022A004013") == published_key("169022A004013")
    assert nir.control_key("269022b004016") == published_key("269022B004016")
    assert nir.control_key("169022A004013") != 97 - int("1690220004013") % 97


@given(st.lists(bodies, min_size=1, max_size=20))
def test_arrow_and_scalar_keys_agree_with_the_published_rule(values: list[str]) -> None:
    keys = control_keys(pa.array(values)).to_pylist()
    assert keys == [nir.control_key(v) for v in values] == [published_key(v) for v in values]
    nirs = [f"{v}{k:02d}" for v, k in zip(values, keys, strict=True)]
    wrong = [f"{v}{(k % 97) + 1:02d}" for v, k in zip(values, keys, strict=True)]
    assert keys_match(pa.array(nirs + wrong)).to_pylist() == [True] * len(nirs) + [False] * len(
        wrong
    )


def test_the_pattern_names_each_part() -> None:
    match = re.fullmatch(nir.pattern(), "184127645108946")
    assert match is not None
    assert match.groups() == ("1", "84", "12", "76", "451", "089", "46")
    assert re.fullmatch(nir.pattern(), "1841276451089") is None
    assert re.fullmatch(nir.pattern(optional_key=True), "1841276451089") is not None


@pytest.mark.parametrize(
    ("options", "value", "matches"),
    [
        ({}, "369022A004013" + "00", True),
        ({}, "569022A004013" + "00", False),
        ({"first": nir.SCAN_FIRST_DIGITS}, "3400930000000" + "00", False),
        ({"first": "0-9"}, "012345678901234", True),
        ({"month": nir.MONTH}, "184137645108946", False),
        ({"month": nir.MONTH}, "184207645108946", True),
        ({"gap": "[ .-]?"}, "1 84 12 76 451 089 46", True),
        ({}, "1 84 12 76 451 089 46", False),
        ({}, "1841276451089AB", False),
    ],
)
def test_callers_choose_how_strict_a_match_is(
    options: dict[str, Any], value: str, matches: bool
) -> None:
    layout = nir.pattern(**options)
    assert (re.fullmatch(layout, value) is not None) is matches
    assert pc.match_substring_regex(pa.array([value]), f"^{layout}$").to_pylist() == [matches]
