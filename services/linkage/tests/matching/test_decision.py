import dataclasses

import numpy as np
import pytest

from linkage.matching import decision
from linkage.matching import fellegi_sunter as fs
from linkage.matching.comparisons import Comparison


def links(rows: list[tuple[int, int, float]]) -> fs.Links:
    probability = np.array([p for _, _, p in rows])
    return fs.Links(
        np.array([a for a, _, _ in rows], dtype=np.int64),
        np.array([b for _, b, _ in rows], dtype=np.int64),
        np.log2(probability / (1 - probability)),
        probability,
    )


PAIRS = links([(0, 0, 0.99), (0, 1, 0.9), (1, 1, 0.8), (2, 1, 0.6), (3, 3, 0.3)])
SETTINGS = fs.Settings(comparisons=[Comparison("a")], blocking_rules=[["a"]])


def pairs(found: fs.Links) -> list[tuple[int, int]]:
    return sorted(zip(found.left.tolist(), found.right.tolist(), strict=True))


def test_clustering_one_to_one_many_to_one_or_all() -> None:
    assert pairs(decision.cluster(PAIRS, "one_to_one")[0]) == [(0, 0), (1, 1), (3, 3)]
    assert pairs(decision.cluster(PAIRS, "many_to_one")[0]) == [(0, 0), (1, 1), (2, 1), (3, 3)]
    assert len(decision.cluster(PAIRS, "all")[0].left) == 5


def test_expected_matches_cap_each_record_at_one() -> None:
    assert decision.expected_matches(PAIRS, "all") == pytest.approx(3.59)
    assert decision.expected_matches(PAIRS, "many_to_one") == pytest.approx(1 + 0.8 + 0.6 + 0.3)
    assert decision.expected_matches(PAIRS, "one_to_one") == pytest.approx(0.99 + 1 + 0.3)


def test_the_model_chooses_the_threshold_of_best_expected_f1_and_reports_it() -> None:
    decided = decision.decide(dataclasses.replace(SETTINGS, threshold_probability=None), PAIRS)
    assert decided.chosen_by == "model" and decided.threshold == 0.8
    assert pairs(decided.links) == [(0, 0), (1, 1)]
    assert decided.expected_precision == pytest.approx((0.99 + 0.8) / 2)
    assert decided.expected_recall == pytest.approx((0.99 + 0.8) / 2.29)
    fixed = decision.decide(dataclasses.replace(SETTINGS, threshold_probability=0.95), PAIRS)
    assert (fixed.chosen_by, pairs(fixed.links)) == ("job", [(0, 0)])


def test_the_review_band_holds_the_pairs_near_the_threshold() -> None:
    settings = dataclasses.replace(SETTINGS, threshold_probability=0.5, review_bits=1.5)
    decided = decision.decide(settings, PAIRS)
    assert pairs(decided.review) == [(3, 3)]  # weight -1.2 is 1.2 bits away; 0.8 is 2 bits
    wide = decision.decide(dataclasses.replace(settings, review_bits=2.5), PAIRS)
    assert pairs(wide.review) == [(1, 1), (3, 3)]
