import dataclasses
import datetime as dt

import numpy as np

from linkage.matching.french_population import Errors, population

NONE = Errors(
    typo=0,
    accents_dropped=0,
    compound_cut=0,
    compound_split=0,
    married_name_used=0,
    day_month_swap=0,
    date_digit=0,
    moved=0,
    missing=0,
    sex_error=0,
    place_error=0,
    all_first_names=0,
)


def test_the_truth_pairs_the_records_of_the_persons_both_sources_hold() -> None:
    generated = population(2000, overlap=0.8, seed=1)
    truth = generated.true_pairs()
    assert generated.left.num_rows == generated.right.num_rows == 2000
    assert len(truth) == 1600
    assert all(generated.left_person[a] == generated.right_person[b] for a, b in truth)
    assert "id" not in " ".join(generated.left.column_names)  # no identifier to cheat with
    again = population(2000, overlap=0.8, seed=1)
    assert again.left.equals(generated.left) and again.right.equals(generated.right)


def test_without_errors_true_pairs_agree_up_to_case_and_the_married_name() -> None:
    generated = population(1000, errors=NONE, seed=2)
    left, right = generated.left.to_pylist(), generated.right.to_pylist()
    for a, b in generated.true_pairs():
        assert left[a]["birth_date"] == right[b]["birth_date"]
        assert left[a]["given_name"].upper() == right[b]["given_name"]
        assert left[a]["surname"].upper() == right[b]["surname"]  # birth names: none used


def test_error_rates_are_settings() -> None:
    swapped = population(3000, errors=dataclasses.replace(NONE, day_month_swap=0.5))
    left, right = swapped.left.to_pylist(), swapped.right.to_pylist()
    moved = [
        (left[a]["birth_date"], right[b]["birth_date"])
        for a, b in swapped.true_pairs()
        if left[a]["birth_date"] != right[b]["birth_date"]
    ]
    assert len(moved) > 300
    assert all(isinstance(x, dt.date) and x.month in (y.day, y.month) for x, y in moved)
    married = population(3000, errors=dataclasses.replace(NONE, married_name_used=1.0))
    left, right = married.left.to_pylist(), married.right.to_pylist()
    usage = [left[a]["surname"].upper() == right[b]["usage_name"] for a, b in married.true_pairs()]
    assert 0.1 < np.mean(usage) < 0.3  # married women known by their usage name on the left


def test_the_default_errors_make_names_hard() -> None:
    generated = population(5000, seed=3)
    left, right = generated.left.to_pylist(), generated.right.to_pylist()
    same = [
        (left[a]["given_name"] or "").upper() == right[b]["given_name"]
        for a, b in generated.true_pairs()
    ]
    assert 0.3 < np.mean(same) < 0.8
    homonyms = generated.left.group_by(["given_name", "surname"]).aggregate([([], "count_all")])
    assert max(homonyms.column("count_all").to_pylist()) >= 5
