import time

import numpy as np
import pyarrow as pa

from linkage.matching import fellegi_sunter as fs
from linkage.matching.blocking import candidate_pairs
from linkage.matching.comparisons import Comparison
from linkage.matching.linker import link
from linkage.matching.synthetic import people

SETTINGS = fs.Settings(
    comparisons=[
        Comparison("given_name", "jaro_winkler", (0.9, 0.8), term_frequency=True),
        Comparison("surname", "jaro_winkler", (0.9, 0.8), term_frequency=True),
        Comparison("date_of_birth", "date", (1.0, 31.0, 366.0)),
        Comparison("postcode", "exact"),
        Comparison("soc_sec_id", "jaro_winkler", (0.9,)),
    ],
    blocking_rules=[
        ["date_of_birth"],
        ["soc_sec_id"],
        ["surname", "postcode"],
        ["given_name", "postcode"],
    ],
)


def f1(links: fs.Links) -> tuple[float, float, float]:
    true = int((links.left == links.right).sum())
    precision = true / max(len(links.left), 1)
    return precision, true / N, 2 * precision * (true / N) / max(precision + true / N, 1e-9)


N = 3000


def test_levels_for_each_kind_of_comparison() -> None:
    names = Comparison("name", "jaro_winkler", (0.9, 0.8))
    levels = names.compare(
        pa.array(["martha", "dwayne", "smith", None]), pa.array(["marhta", "duane", "smith", "x"])
    )
    assert levels.tolist() == [2, 1, 3, -1]
    numbers = Comparison("n", "numeric", (1.0, 5.0))
    assert numbers.compare(
        pa.array([1.0, 1.0, 1.0, 1.0]), pa.array([1.0, 1.5, 4.0, 9.0])
    ).tolist() == [3, 2, 1, 0]


def test_blocking_takes_the_union_of_rules_without_duplicates() -> None:
    left = pa.table({"a": ["x", "y", None], "b": [1, 2, 3]})
    right = pa.table({"a": ["x", "x", "y"], "b": [1, 9, 2]})
    lefts, rights = candidate_pairs(left, right, [["a"], ["b"]])
    assert list(zip(lefts.tolist(), rights.tolist(), strict=True)) == [(0, 0), (0, 1), (1, 2)]


def test_unsupervised_linkage_finds_the_true_pairs() -> None:
    left, right = people(N)
    started = time.perf_counter()
    linked = link(SETTINGS, left, right)
    links, report = linked.links, linked.report
    seconds = time.perf_counter() - started
    precision, recall, score = f1(links)
    assert score > 0.97, (precision, recall)
    assert seconds < 20
    assert abs(report.estimated_precision - precision) < 0.05
    assert report.links == len(links.left) and report.one_to_one_violations >= 0
    assert report.m["postcode:exact"][1] > 0.7
    assert report.u["soc_sec_id:jaro_winkler"][-1] < 0.05 < report.m["soc_sec_id:jaro_winkler"][-1]
    assert sum(report.weight_histogram.values()) == report.links
    assert len(set(links.left.tolist())) == len(links.left)  # one-to-one


def test_em_recovers_m_and_the_prior_from_pattern_counts() -> None:
    comparisons = [Comparison("a"), Comparison("b"), Comparison("c")]
    settings = fs.Settings(comparisons=comparisons, blocking_rules=[])
    rng = np.random.default_rng(1)
    matches, others = 1000, 9000
    m_true, u_true = np.array([0.1, 0.9]), np.array([0.8, 0.2])
    levels = np.concatenate(
        [
            (rng.random((matches, 3)) < m_true[1]).astype(np.int8),
            (rng.random((others, 3)) < u_true[1]).astype(np.int8),
        ]
    )
    codes, counts = np.unique(fs._encode(levels, fs._radix(comparisons)), return_counts=True)
    model = fs.expectation_maximisation(
        settings, fs._decode(codes, comparisons), counts.astype(float), [u_true] * 3, fixed_u=True
    )
    assert abs(model.prior - 0.1) < 0.03
    assert abs(model.m[0][1] - 0.9) < 0.05


def test_an_empty_side_links_nothing() -> None:
    left, right = people(10)
    linked = link(SETTINGS, left, right.slice(0, 0))
    links, report = linked.links, linked.report
    assert (len(links.left), report.links, report.candidate_pairs) == (0, 0, 0)
