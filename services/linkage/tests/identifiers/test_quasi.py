import datetime as dt

import pyarrow as pa

from linkage.identifiers import dates, names, sex


def test_names_lose_case_accents_and_punctuation() -> None:
    checked = names.check(
        pa.array(["  Éloïse  d'Arc-Dupont ", "ÆLRIC", "Œdipe", "l\u2019Hôte", "R2D2", "", None])
    )
    assert checked.values.to_pylist() == [
        "ELOISE D ARC DUPONT",
        "AELRIC",
        "OEDIPE",
        "L HOTE",
        None,
        None,
        None,
    ]
    assert checked.invalid == {names.RULE_CHARACTERS: 1}
    assert checked.missing == 2


def test_sex_codes_map_to_the_snds_nomenclature() -> None:
    checked = sex.check(pa.array(["1", "m", "Femme", "2", "9", "x", None]))
    assert checked.values.to_pylist() == ["1", "1", "2", "2", None, None, None]
    assert checked.invalid == {sex.RULE_UNKNOWN: 2}
    assert checked.missing == 1


def test_dates_of_birth_in_usual_formats_and_a_plausible_range() -> None:
    values = pa.array(
        ["1984-12-03", "03/12/1984", "19841203", "2099-01-01", "1850-01-01", "31/02/1984", None]
    )
    checked = dates.check(values, today=dt.date(2026, 11, 29))
    day = dt.date(1984, 12, 3)
    assert checked.values.to_pylist() == [day, day, day, None, None, None, None]
    assert checked.invalid == {dates.RULE_RANGE: 2, dates.RULE_FORMAT: 1}


def test_typed_dates_are_checked_too() -> None:
    checked = dates.check(pa.array([dt.date(1984, 12, 3), None]), today=dt.date(2026, 1, 1))
    assert checked.values.to_pylist() == [dt.date(1984, 12, 3), None]
