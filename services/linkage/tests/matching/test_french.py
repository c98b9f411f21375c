import datetime as dt

import pyarrow as pa
import pytest

from linkage.matching import french
from linkage.matching.comparisons import Comparison, prepare


def keys(values: list[str | None], key: str) -> list[str | None]:
    result: list[str | None] = french.derive(pa.array(values, pa.string()), key).to_pylist()
    return result


def test_normalised_names_ignore_case_accents_hyphens_spaces_and_particles() -> None:
    assert keys(["Jean-Pierre", "JEAN PIERRE", "jeanpierre"], "norm") == ["JEANPIERRE"] * 3
    assert keys(["Hélène", "HELENE", "Œillet"], "norm") == ["HELENE", "HELENE", "OEILLET"]
    assert keys(["de La Fontaine", "D'Almeida", "Le Gall", "De"], "norm") == [
        "LAFONTAINE",
        "ALMEIDA",
        "LEGALL",
        "DE",
    ]
    assert keys(["", "  - ", None], "norm") == [None, None, None]


def test_the_first_part_of_a_compound_first_name() -> None:
    assert keys(["Jean-Pierre", "MARIE CLAIRE LOUISE", "Anne"], "first") == [
        "JEAN",
        "MARIE",
        "ANNE",
    ]


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Lefèvre", "LEFEBVRE"),
        ("Dupont", "DUPOND"),
        ("Gautier", "Gauthier"),
        ("Mathieu", "Matthieu"),
        ("Guérin", "Guerrin"),
        ("Bernard", "Bernart"),
        ("Petit", "Pety"),
        ("Françoise", "FRANCOISE"),
    ],
)
def test_french_spellings_of_one_sound_share_a_phonetic_code(a: str, b: str) -> None:
    assert keys([a], "phonetic") == keys([b], "phonetic")


@pytest.mark.parametrize(("a", "b"), [("Martin", "Marin"), ("Georges", "Gorges"), ("Roux", "Rey")])
def test_other_names_keep_distinct_phonetic_codes(a: str, b: str) -> None:
    assert keys([a], "phonetic") != keys([b], "phonetic")


def levels(comparison: Comparison, left: pa.Table, right: pa.Table) -> list[int]:
    columns = [name for c in [comparison] for name in c.derived()]
    a, b = prepare(left, [comparison], columns), prepare(right, [comparison], columns)
    rows = pa.array(range(left.num_rows))
    return comparison.compare_rows(a, b, rows, rows).tolist()


def test_name_levels_from_exact_to_phonetic_first_part_and_similarity() -> None:
    names = Comparison("name", "name", (0.92, 0.8))
    left = pa.table({"name": ["Jean-Pierre", "Dupont", "Jean-Pierre", "Martine", "Bernard", None]})
    right = pa.table({"name": ["JEAN PIERRE", "DUPOND", "JEAN", "MARTINA", "ZOE", "X"]})
    # exact 5, phonetic 4, first part 3, Jaro-Winkler >= 0.92 2, disagreement 0, missing -1
    assert levels(names, left, right) == [5, 4, 3, 2, 0, -1]


def test_a_surname_agrees_with_either_the_birth_or_the_usage_name() -> None:
    surname = Comparison("surname", "name", (0.9,), alternatives=("usage_name",))
    left = pa.table({"surname": ["Martin", "Martin", None]})
    right = pa.table(
        {"surname": ["DURAND", "DURAND", None], "usage_name": ["MARTIN", None, "MARTIN"]}
    )
    assert levels(surname, left, right) == [4, 0, -1]


def test_date_levels_for_swapped_day_and_month_and_one_wrong_digit() -> None:
    dates = Comparison("born", "birth_date", (31.0, 366.0))
    day = dt.date
    left = pa.table({"born": [day(1966, 7, 12)] * 5 + [None]})
    right = pa.table(
        {
            "born": [
                day(1966, 7, 12),
                day(1966, 12, 7),
                day(1966, 7, 13),
                day(1966, 9, 1),
                day(1970, 1, 1),
                day(1966, 7, 12),
            ]
        }
    )
    # exact 5, swap 4, one digit 3, within 366 days 1, further 0, missing -1
    assert levels(dates, left, right) == [5, 4, 3, 1, 0, -1]


def test_codes_agree_on_their_first_characters() -> None:
    places = Comparison("place", "prefix", (2,))
    left = pa.table({"place": ["75056", "75056", "75056", None]})
    right = pa.table({"place": ["75056", "75101", "13055", "75056"]})
    assert levels(places, left, right) == [2, 1, 0, -1]
