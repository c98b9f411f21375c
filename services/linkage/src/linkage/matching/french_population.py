"""A French-style population seen by two sources, with known truth, for tests and benchmarks.

Persons get first names (a share compound), a birth surname, a married name for many women,
a birth date, sex, place of birth (commune code) and residence postcode. The left source
(say a cohort) knows one surname: the married name for most married women. The right source
(say a referential) knows the birth surname and, apart, the usage name. Both carry the
errors of :class:`Errors`; no record carries a unique identifier. Row ``i`` of the left
source is person ``left_person[i]``; the truth is the set of pairs sharing a person.
"""

import datetime as dt
import unicodedata
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from linkage.matching import french_names as fr

Strings = npt.NDArray[np.object_]
EPOCH = dt.date(1970, 1, 1)


@dataclass(frozen=True)
class Errors:
    """Per-record rates of each error, applied independently in each source."""

    typo: float = 0.04
    accents_dropped: float = 0.5
    compound_cut: float = 0.3
    compound_split: float = 0.2
    married_name_used: float = 0.85
    married_share: float = 0.6
    day_month_swap: float = 0.02
    date_digit: float = 0.03
    moved: float = 0.15
    missing: float = 0.03
    sex_error: float = 0.005
    place_error: float = 0.03
    all_first_names: float = 0.3


@dataclass(frozen=True)
class Population:
    left: pa.Table
    right: pa.Table
    left_person: npt.NDArray[np.int64]
    right_person: npt.NDArray[np.int64]

    def true_pairs(self) -> set[tuple[int, int]]:
        where = {int(p): i for i, p in enumerate(self.right_person.tolist())}
        return {(i, where[p]) for i, p in enumerate(self.left_person.tolist()) if p in where}


def _where(mask: npt.NDArray[np.bool_], yes: Strings | None, no: Strings | None) -> Strings:
    """``np.where`` over object arrays, where None is a value."""
    out = np.empty(len(mask), dtype=object)
    out[mask] = yes[mask] if yes is not None else None
    out[~mask] = no[~mask] if no is not None else None
    return out


def _zipf(rng: np.random.Generator, values: list[str], n: int, s: float = 1.0) -> Strings:
    weights = 1.0 / np.arange(1, len(values) + 1) ** s
    drawn: Strings = np.array(values, dtype=object)[
        rng.choice(len(values), size=n, p=weights / weights.sum())
    ]
    return drawn


def _surnames(rng: np.random.Generator, n: int, common: float) -> Strings:
    listed = _zipf(rng, list(fr.SURNAMES), n, s=0.9)
    composed = np.array(
        [
            a + b + c
            for a, b, c in zip(
                _zipf(rng, list(fr.SURNAME_ONSETS), n, 0.3),
                np.where(rng.random(n) < 0.7, _zipf(rng, list(fr.SURNAME_MIDDLES), n, 0.3), ""),
                _zipf(rng, list(fr.SURNAME_ENDINGS), n, 0.3),
                strict=True,
            )
        ],
        dtype=object,
    )
    chosen: Strings = np.where(rng.random(n) < common, listed, composed)
    return chosen


def _first_names(rng: np.random.Generator, female: npt.NDArray[np.bool_]) -> Strings:
    n = len(female)
    compound = rng.random(n) < 0.12
    male = np.where(compound, _zipf(rng, list(fr.COMPOUND_MALE), n), _zipf(rng, fr.MALE, n))
    woman = np.where(compound, _zipf(rng, list(fr.COMPOUND_FEMALE), n), _zipf(rng, fr.FEMALE, n))
    names: Strings = np.where(female, woman, male)
    return names


def _typo(rng: np.random.Generator, text: str) -> str:
    if len(text) < 3:
        return text
    i = int(rng.integers(1, len(text) - 1))
    action = int(rng.integers(4))
    if action == 0:
        return text[:i] + text[i + 1] + text[i] + text[i + 2 :]
    if action == 1:
        return text[:i] + text[i + 1 :]
    if action == 2:
        return text[:i] + text[i] + text[i:]
    return text[:i] + "aeioulnrstm"[int(rng.integers(11))] + text[i + 1 :]


def _plain(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def _each(values: Strings, mask: npt.NDArray[np.bool_], change: object) -> Strings:
    out = values.copy()
    for i in np.flatnonzero(mask).tolist():
        if out[i] is not None:
            out[i] = change(out[i])  # type: ignore[operator]
    return out


@dataclass(frozen=True)
class _People:
    first: Strings
    others: Strings
    surname: Strings
    married: Strings
    female: npt.NDArray[np.bool_]
    birth: npt.NDArray[np.int64]
    place: Strings
    postcode: Strings


def _people(rng: np.random.Generator, n: int, errors: Errors, common: float) -> _People:
    female = rng.random(n) < 0.51
    birth = rng.integers(
        (dt.date(1925, 1, 1) - EPOCH).days, (dt.date(2020, 12, 31) - EPOCH).days, n
    )
    adult = birth < (dt.date(2000, 1, 1) - EPOCH).days
    married = female & adult & (rng.random(n) < errors.married_share)
    departments = _zipf(rng, [f"{d:02d}" for d in [75, 13, 69, 59, 33, *range(1, 96)]], n, 0.6)
    abroad = rng.random(n) < 0.08
    place = np.array(
        [
            ("99" if a else d) + f"{c:03d}"
            for a, d, c in zip(abroad, departments, rng.integers(1, 400, n), strict=True)
        ],
        dtype=object,
    )
    postcode = np.array(
        [d + f"{c:03d}" for d, c in zip(departments, rng.integers(0, 100, n) * 10, strict=True)],
        dtype=object,
    )
    return _People(
        first=_first_names(rng, female),
        others=_first_names(rng, female),
        surname=_surnames(rng, n, common),
        married=_where(married, _surnames(rng, n, common), None),
        female=female,
        birth=birth,
        place=place,
        postcode=postcode,
    )


def _given_names(
    rng: np.random.Generator, people: _People, rows: npt.NDArray[np.int64], errors: Errors
) -> Strings:
    names = people.first[rows].copy()
    n = len(rows)
    compound = np.array(["-" in v for v in names], dtype=bool)
    draw = rng.random(n)
    cut = compound & (draw < errors.compound_cut)
    split = compound & ~cut & (draw < errors.compound_cut + errors.compound_split)
    names = _each(names, cut, lambda v: v.split("-")[0])
    names = _each(names, split, lambda v: v.replace("-", " " if rng.random() < 0.5 else ""))
    every = rng.random(n) < errors.all_first_names
    return np.where(every, names + " " + people.others[rows], names)


def _date_digit(rng: np.random.Generator, days: int) -> int:
    date = EPOCH + dt.timedelta(days=days)
    text = date.strftime("%Y%m%d")
    for _ in range(10):
        position = int(rng.choice([2, 3, 4, 5, 6, 7]))
        changed = text[:position] + str(int(rng.integers(10))) + text[position + 1 :]
        try:
            moved = dt.datetime.strptime(changed, "%Y%m%d").date()
        except ValueError:
            continue
        if moved != date:
            return (moved - EPOCH).days
    return days


def _swap(days: int) -> int:
    date = EPOCH + dt.timedelta(days=days)
    if date.day > 12 or date.day == date.month:
        return days
    return (date.replace(month=date.day, day=date.month) - EPOCH).days


def _birth_dates(
    rng: np.random.Generator, people: _People, rows: npt.NDArray[np.int64], errors: Errors
) -> pa.Array:
    days = people.birth[rows].copy()
    draw = rng.random(len(rows))
    for i in np.flatnonzero(draw < errors.day_month_swap).tolist():
        days[i] = _swap(int(days[i]))
    digit = (draw >= errors.day_month_swap) & (draw < errors.day_month_swap + errors.date_digit)
    for i in np.flatnonzero(digit).tolist():
        days[i] = _date_digit(rng, int(days[i]))
    return pa.array(days.astype(np.int32), pa.date32())


def _noisy(rng: np.random.Generator, values: Strings, errors: Errors, *, upper: bool) -> Strings:
    n = len(values)
    values = _each(values, rng.random(n) < errors.typo, lambda v: _typo(rng, v))
    values = _each(values, rng.random(n) < errors.accents_dropped, _plain)
    if upper:
        values = _each(values, np.ones(n, dtype=bool), str.upper)
    return _blank(rng, values, errors.missing)


def _blank(rng: np.random.Generator, values: Strings, rate: float) -> Strings:
    return _where(rng.random(len(values)) < rate, None, values)


def _codes(rng: np.random.Generator, values: Strings, rate: float) -> Strings:
    n = len(values)
    other = np.array(
        [
            f"{d:02d}{c:03d}"
            for d, c in zip(rng.integers(1, 96, n), rng.integers(1, 400, n), strict=True)
        ],
        dtype=object,
    )
    changed: Strings = np.where(rng.random(n) < rate, other, values)
    return changed


def _sexes(rng: np.random.Generator, female: npt.NDArray[np.bool_], errors: Errors) -> Strings:
    flipped = female ^ (rng.random(len(female)) < errors.sex_error)
    return _blank(rng, np.where(flipped, "2", "1").astype(object), errors.missing / 3)


def _source(
    rng: np.random.Generator,
    people: _People,
    rows: npt.NDArray[np.int64],
    errors: Errors,
    *,
    referential: bool,
) -> pa.Table:
    n = len(rows)
    married = people.married[rows]
    if referential:
        surname = people.surname[rows]
        usage = _where(rng.random(n) < 0.9, married, None)
    else:
        known = (married != None) & (rng.random(n) < errors.married_name_used)  # noqa: E711
        surname = np.where(known, married, people.surname[rows])
        usage = np.full(n, None, dtype=object)
    postcode = people.postcode[rows]
    if referential:
        postcode = _codes(rng, postcode, errors.moved)
    return pa.table(
        {
            "given_name": pa.array(
                _noisy(rng, _given_names(rng, people, rows, errors), errors, upper=referential),
                pa.string(),
            ),
            "surname": pa.array(_noisy(rng, surname, errors, upper=referential), pa.string()),
            "usage_name": pa.array(_noisy(rng, usage, errors, upper=referential), pa.string()),
            "birth_date": _birth_dates(rng, people, rows, errors),
            "sex": pa.array(_sexes(rng, people.female[rows], errors), pa.string()),
            "birth_place": pa.array(
                _blank(rng, _codes(rng, people.place[rows], errors.place_error), errors.missing),
                pa.string(),
            ),
            "postcode": pa.array(_blank(rng, postcode, errors.missing), pa.string()),
        }
    )


def population(
    persons: int,
    *,
    overlap: float = 0.9,
    errors: Errors | None = None,
    common_surnames: float = 0.5,
    seed: int = 21,
) -> Population:
    """``persons`` records on the left; on the right, ``overlap`` of them plus as many others
    as make ``persons`` records. Row orders are shuffled."""
    errors = errors or Errors()
    rng = np.random.default_rng(seed)
    shared = int(persons * overlap)
    people = _people(rng, 2 * persons - shared, errors, common_surnames)
    left_person = rng.permutation(persons).astype(np.int64)
    right_person = rng.permutation(
        np.concatenate([np.arange(shared), np.arange(persons, 2 * persons - shared)])
    ).astype(np.int64)
    return Population(
        left=_source(rng, people, left_person, errors, referential=False),
        right=_source(rng, people, right_person, errors, referential=True),
        left_person=left_person,
        right_person=right_person,
    )
