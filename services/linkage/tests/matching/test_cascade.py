import pyarrow as pa

from linkage.matching import fellegi_sunter as fs
from linkage.matching.cascade import DETERMINISTIC, PROBABILISTIC, cascade, deterministic
from linkage.matching.comparisons import Comparison
from linkage.matching.linker import link
from linkage.matching.synthetic import people


def test_deterministic_links_equal_pseudonyms_and_never_nulls() -> None:
    left = pa.table({"p": ["a", "b", None, "c"]})
    right = pa.table({"p": ["c", None, "a", "z"]})
    links = deterministic(left, right, ["p"]).sort_by("left_row")
    assert links.column("left_row").to_pylist() == [0, 3]
    assert links.column("right_row").to_pylist() == [2, 0]


def test_cascade_links_by_pseudonym_then_probabilistically_recording_each_pass() -> None:
    left, right = people(2000, seed=3)
    pseudonyms = [f"p{i}" if i % 2 == 0 else None for i in range(2000)]
    left = left.append_column("pseudonym", pa.array(pseudonyms))
    right = right.append_column("pseudonym", pa.array(pseudonyms))
    settings = fs.Settings(
        comparisons=[
            Comparison("given_name", "jaro_winkler", (0.9,)),
            Comparison("surname", "jaro_winkler", (0.9,)),
            Comparison("date_of_birth", "date", (1.0, 366.0)),
            Comparison("soc_sec_id", "jaro_winkler", (0.9,)),
            Comparison("postcode"),
        ],
        blocking_rules=[["date_of_birth"], ["soc_sec_id"], ["surname", "postcode"]],
    )
    links, review, report = cascade(
        left, right, pseudonym_columns=["pseudonym"], settings=settings, link=link
    )
    passes = links.column("pass").to_pylist()
    assert passes.count(DETERMINISTIC) == 1000
    assert passes.count(PROBABILISTIC) > 900
    rows = zip(
        links.column("left_row").to_pylist(), links.column("right_row").to_pylist(), strict=True
    )
    assert sum(a == b for a, b in rows) / links.num_rows > 0.99
    assert report is not None and report.links == passes.count(PROBABILISTIC)
    assert review.num_rows == report.review["pairs"]
    assert set(review.column("left_row").to_pylist()) <= set(range(1, 2000, 2))  # the rest
