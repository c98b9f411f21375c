import numpy as np
import pyarrow as pa
import pytest

from linkage.matching import fellegi_sunter as fs
from linkage.matching.blocking import Blocking
from linkage.matching.comparisons import Comparison, prepare
from linkage.matching.french_population import population
from linkage.matching.training import blocking_recall, deterministic_prior, train

COMPARISONS = [
    Comparison("given_name", "name", (0.9,)),
    Comparison("surname", "name", (0.9,), alternatives=("usage_name",)),
    Comparison("birth_date", "birth_date", (366.0,)),
    Comparison("sex"),
]
SETTINGS = fs.Settings(
    comparisons=COMPARISONS,
    blocking_rules=[
        ["surname:phonetic|usage_name:phonetic", "birth_date"],
        ["given_name:first", "birth_date"],
    ],
    prior_rules=[["given_name:norm", "surname:norm", "birth_date"]],
    prior_recall=0.5,
)


Tables = tuple[pa.Table, pa.Table, set[tuple[int, int]]]


@pytest.fixture(scope="module")
def tables() -> Tables:
    generated = population(4000, seed=4)
    left = prepare(generated.left, COMPARISONS, SETTINGS.columns)
    right = prepare(generated.right, COMPARISONS, SETTINGS.columns)
    return left, right, generated.true_pairs()


def test_the_prior_comes_from_the_deterministic_rules_and_their_stated_recall(
    tables: Tables,
) -> None:
    left, right, truth = tables
    prior, found = deterministic_prior(SETTINGS, Blocking(left, right))
    assert 0 < found < len(truth)
    assert prior == pytest.approx(found / 0.5 / (4000 * 4000))


def test_each_pass_leaves_out_the_comparisons_of_its_own_columns(tables: Tables) -> None:
    left, right, _ = tables
    model, training = train(SETTINGS, Blocking(left, right))
    first, second = training.passes
    assert first.comparisons == ["given_name:name", "sex:exact"]
    assert second.comparisons == ["surname:name", "sex:exact"]
    assert training.untrained == ["birth_date:birth_date"]  # in every rule: never estimated
    assert all(p.iterations > 0 for p in training.passes)
    assert model.m[3][-1] > 0.95 and 0.4 < model.u[3][-1] < 0.6  # sex: m from EM, u random
    assert model.m[0][-1] > 10 * model.u[0][-1]


def test_the_blocking_recall_the_model_expects() -> None:
    comparisons = [Comparison("a"), Comparison("b")]
    m = [np.array([0.2, 0.8]), np.array([0.5, 0.5])]
    settings = fs.Settings(comparisons=comparisons, blocking_rules=[["a"]])
    assert blocking_recall(settings, m, [0.0, 0.0]) == pytest.approx(0.8, abs=0.01)
    assert blocking_recall(settings, m, [0.5, 0.0]) == pytest.approx(0.4, abs=0.01)
    both = fs.Settings(comparisons=comparisons, blocking_rules=[["a"], ["b"]])
    assert blocking_recall(both, m, [0.0, 0.0]) == pytest.approx(0.9, abs=0.01)
    uncovered = fs.Settings(comparisons=comparisons, blocking_rules=[["c"]])
    assert blocking_recall(uncovered, m, [0.0, 0.0]) == 1.0
