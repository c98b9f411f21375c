from types import ModuleType

import pyarrow as pa
from hypothesis import given
from hypothesis import strategies as st

from linkage.identifiers import nir


def reference_key(body: str) -> int:
    """The rule as published: Corsica's 2A counts as 19 and 2B as 18."""
    return 97 - int(body.replace("2A", "19").replace("2B", "18")) % 97


VALID = "184127645108946"  # the textbook example: key 46


def test_textbook_and_corsica_samples_are_valid() -> None:
    assert reference_key(VALID[:13]) == 46
    for body in ("169022A004013", "269022B004016"):
        assert nir.with_key(body)[13:] == f"{reference_key(body):02d}"
    checked = nir.check(pa.array([VALID, nir.with_key("169022A004013")]))
    assert checked.values.null_count == 0
    assert checked.invalid == {}


def test_2a_and_2b_keys_differ_from_the_digit_reading() -> None:
    body = "169022A004013"
    key_as_19 = reference_key(body)
    key_as_20 = 97 - int(body.replace("2A", "20")) % 97
    assert key_as_19 != key_as_20
    checked = nir.check(pa.array([f"{body}{key_as_20:02d}", nir.with_key(body)]))
    assert checked.values.to_pylist()[0] is None
    assert checked.invalid == {nir.RULE_KEY: 1}


def test_each_rule_counts_its_failures_and_nothing_invalid_survives() -> None:
    values = pa.array(
        [
            VALID,
            "1 84 12 76 451 089 46",  # spaces are normalised away
            "184127645108947",  # bad key
            "18412764510894",  # too short
            "1841276451089466",  # too long
            "18412764510X946",  # a letter outside the department
            "1841203A4510894",  # 3A is no department
            "584127645108946",  # no such first digit
            None,
            "  ",
        ]
    )
    checked = nir.check(values)
    assert checked.values.to_pylist()[:2] == [VALID, VALID]
    assert checked.values.to_pylist()[2:] == [None] * 8
    assert checked.invalid == {
        nir.RULE_KEY: 1,
        nir.RULE_LENGTH: 2,
        nir.RULE_CHARACTERS: 2,
        nir.RULE_SEX: 1,
    }
    assert checked.missing == 2


bodies = st.builds(
    lambda sex, rest, dept, tail: f"{sex}{rest}{dept}{tail}",
    st.sampled_from("12"),
    st.from_regex(r"\A[0-9]{4}\Z"),
    st.sampled_from(["75", "2A", "2B", "97", "13", "99"]),
    st.from_regex(r"\A[0-9]{6}\Z"),
)


@given(bodies)
def test_vectorised_key_matches_the_published_rule(body: str) -> None:
    good = f"{body}{reference_key(body):02d}"
    bad = f"{body}{(reference_key(body) % 97) + 1:02d}"
    checked = nir.check(pa.array([good, bad, good.lower()]))
    assert checked.values.to_pylist() == [good, None, good]
    assert checked.invalid == {nir.RULE_KEY: 1}


nir_like = st.one_of(
    bodies.map(nir.with_key),
    st.text(alphabet="0123456789ABab2 .-_\t\u00a0é", max_size=18),
    st.from_regex(r"\A[0-9]{13,16}\Z"),
)


@given(st.lists(st.one_of(st.none(), nir_like), max_size=40), st.integers(0, 3))
def test_the_c_kernel_classifies_like_the_pyarrow_rules(
    kernel: ModuleType, values: list[str | None], cut: int
) -> None:
    for array in (pa.array(values, pa.string()), pa.array(values, pa.large_string())):
        sliced = array.slice(min(cut, len(values)))
        fast, reference = nir.check(sliced), nir._check(sliced)
        assert fast.values.to_pylist() == reference.values.to_pylist()
        assert fast.invalid == reference.invalid
        assert fast.missing == reference.missing


def test_non_string_columns_are_read_as_text() -> None:
    checked = nir.check(pa.array([184127645108946, None, 12]))
    assert checked.values.to_pylist() == [VALID, None, None]
    assert checked.invalid == {nir.RULE_LENGTH: 1} and checked.missing == 1
