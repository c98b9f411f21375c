"""Comparison levels, computed for many candidate pairs at once.

Each comparison turns a pair of values into a level: ``-1`` when either is missing (the
comparison then says nothing), ``0`` for disagreement, and higher levels for closer
agreement, the highest being exact agreement.

Kinds for French identities: ``name`` compares the derived keys of
:mod:`linkage.matching.french` (exact on the normalised name, then the same phonetic code,
then the same first part of a compound, then Jaro-Winkler floors); ``birth_date`` has levels
for a day/month swap and a one-digit error before its distances in days; ``prefix`` agrees on
the first characters of a code (département of a commune). ``alternatives`` are other
columns holding the same thing (a usage name beside the birth name): each side's columns
present are compared with the other's and the best level kept.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
from rapidfuzz.distance import JaroWinkler
from rapidfuzz.process import cpdist

from linkage.matching import french

Levels = npt.NDArray[np.int8]
MISSING = -1
Kind = Literal["exact", "jaro_winkler", "date", "numeric", "name", "birth_date", "prefix"]
_EXTRA_LEVELS = {"name": 2, "birth_date": 2}
YMD, YEAR = "ymd", "year"


@dataclass(frozen=True)
class Comparison:
    """``exact``; ``jaro_winkler`` with similarity thresholds; ``date`` or ``numeric`` with
    absolute-difference tolerances (days for dates). Levels: exact, then each threshold in
    order of closeness, then disagreement."""

    column: str
    kind: Kind = "exact"
    thresholds: tuple[float, ...] = field(default_factory=tuple)
    term_frequency: bool = False
    alternatives: tuple[str, ...] = ()

    @property
    def levels(self) -> int:
        return 2 + len(self.thresholds) + _EXTRA_LEVELS.get(self.kind, 0)

    @property
    def name(self) -> str:
        return f"{self.column}:{self.kind}"

    @property
    def columns(self) -> tuple[str, ...]:
        return (self.column, *self.alternatives)

    @property
    def value_column(self) -> str:
        """The column whose values agree exactly at the top level."""
        return f"{self.column}:norm" if self.kind == "name" else self.column

    def agreeing_levels(self, key: str) -> list[int]:
        """Levels at which the two values' ``key`` (``""`` for the value itself) agree,
        as far as the levels tell."""
        top = self.levels - 1
        extra = {
            "name": {"phonetic": [top - 1], "first": [top - 2]},
            "birth_date": {YEAR: [top - 1]},
        }
        return [top, *extra.get(self.kind, {}).get(key, [])]

    def derived(self) -> list[str]:
        if self.kind == "name":
            return [f"{c}:{key}" for c in self.columns for key in french.DERIVED]
        if self.kind == "birth_date":
            return [f"{c}:{YMD}" for c in self.columns]
        return []

    def compare_rows(
        self, left: pa.Table, right: pa.Table, lefts: pa.Array, rights: pa.Array
    ) -> Levels:
        """Levels of the pairs (``lefts[i]``, ``rights[i]``) of two prepared tables (columns
        absent or empty on a side are not compared)."""
        best: Levels | None = None
        for a in _filled(left, self.columns):
            for b in _filled(right, self.columns):
                level = self._rows(left, right, (a, b), (lefts, rights))
                best = level if best is None else np.maximum(best, level)
        return best if best is not None else np.full(len(lefts), MISSING, dtype=np.int8)

    def _rows(
        self,
        left: pa.Table,
        right: pa.Table,
        names: tuple[str, str],
        rows: tuple[pa.Array, pa.Array],
    ) -> Levels:
        def taken(key: str) -> tuple[pa.Array, pa.Array]:
            suffix = f":{key}" if key else ""
            return (
                left.column(names[0] + suffix).take(rows[0]),
                right.column(names[1] + suffix).take(rows[1]),
            )

        if self.kind == "name":
            return _name_levels(self.thresholds, taken)
        if self.kind == "birth_date":
            return _date_levels(self.thresholds, *taken(""), *taken(YMD))
        return self.compare(*taken(""))

    def compare(self, left: pa.Array, right: pa.Array) -> Levels:
        if self.kind == "prefix":
            return _prefix_levels(self.thresholds, left, right)
        missing = np.asarray(pc.or_(pc.is_null(left), pc.is_null(right)), dtype=bool)
        exact = np.asarray(pc.fill_null(pc.equal(left, right), False), dtype=bool)
        level = np.zeros(len(left), dtype=np.int8)
        if self.thresholds:
            closeness = self._closeness(left, right)
            ordered = sorted(self.thresholds, reverse=self.kind == "jaro_winkler")
            for rank, threshold in enumerate(reversed(ordered), start=1):
                close = (
                    closeness >= threshold
                    if self.kind == "jaro_winkler"
                    else closeness <= threshold
                )
                level[close] = rank
        level[exact] = self.levels - 1
        level[missing] = MISSING
        return level

    def _closeness(self, left: pa.Array, right: pa.Array) -> npt.NDArray[np.float64]:
        if self.kind == "jaro_winkler":
            a = pc.fill_null(pc.cast(left, pa.string()), "").to_pylist()
            b = pc.fill_null(pc.cast(right, pa.string()), "").to_pylist()
            return np.asarray(
                cpdist(a, b, scorer=JaroWinkler.normalized_similarity, workers=-1),
                dtype=np.float64,
            )
        if self.kind == "date":
            left, right = pc.cast(left, pa.date32()), pc.cast(right, pa.date32())
            left, right = pc.cast(left, pa.int32()), pc.cast(right, pa.int32())
        difference = pc.abs(pc.subtract(pc.cast(left, pa.float64()), pc.cast(right, pa.float64())))
        return np.asarray(pc.fill_null(difference, np.inf), dtype=np.float64)


def _filled(table: pa.Table, columns: Sequence[str]) -> list[str]:
    return [
        c
        for c in columns
        if c in table.column_names and table.column(c).null_count < table.num_rows
    ]


def _equal(left: pa.Array, right: pa.Array) -> npt.NDArray[np.bool_]:
    return np.asarray(pc.fill_null(pc.equal(left, right), False), dtype=bool)


def _missing(left: pa.Array, right: pa.Array) -> npt.NDArray[np.bool_]:
    return np.asarray(pc.or_(pc.is_null(left), pc.is_null(right)), dtype=bool)


Taken = Callable[[str], tuple[pa.Array, pa.Array]]


def _name_levels(thresholds: Sequence[float], taken: Taken) -> Levels:
    """exact > same phonetic code > same first part > Jaro-Winkler floors > disagreement."""
    left, right = taken("norm")
    top = len(thresholds) + 3
    level = np.zeros(len(left), dtype=np.int8)
    ranked = [(top - 2, "first"), (top - 1, "phonetic")]
    for rank, key in ranked:
        level[_equal(*taken(key))] = rank
    level[_equal(left, right)] = top
    todo = np.flatnonzero(level == 0)
    if thresholds and len(todo):
        index = pa.array(todo)
        a = pc.fill_null(left.take(index), "").to_pylist()
        b = pc.fill_null(right.take(index), "").to_pylist()
        similarity = np.asarray(cpdist(a, b, scorer=JaroWinkler.normalized_similarity, workers=-1))
        for rank, threshold in enumerate(sorted(thresholds), start=1):
            level[todo[similarity >= threshold]] = rank
    level[_missing(left, right)] = MISSING
    return level


def _digits_differing(a: npt.NDArray[np.int64], b: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    differing = np.zeros(len(a), dtype=np.int64)
    for _ in range(8):
        differing += a % 10 != b % 10
        a, b = a // 10, b // 10
    return differing


def _date_levels(
    thresholds: Sequence[float],
    left: pa.Array,
    right: pa.Array,
    left_ymd: pa.Array,
    right_ymd: pa.Array,
) -> Levels:
    """exact > day and month swapped > one digit of YYYYMMDD wrong > within each number of
    days (closest highest) > disagreement."""
    missing = _missing(left, right)
    a = np.asarray(pc.fill_null(left_ymd, 0), dtype=np.int64)
    b = np.asarray(pc.fill_null(right_ymd, 0), dtype=np.int64)
    days = np.abs(
        np.asarray(pc.fill_null(pc.cast(pc.cast(left, pa.date32()), pa.int32()), 0), np.int64)
        - np.asarray(pc.fill_null(pc.cast(pc.cast(right, pa.date32()), pa.int32()), 0), np.int64)
    )
    top = len(thresholds) + 3
    level = np.zeros(len(a), dtype=np.int8)
    for rank, threshold in enumerate(sorted(thresholds, reverse=True), start=1):
        level[days <= threshold] = rank
    level[_digits_differing(a, b) == 1] = top - 2
    swapped = (
        (a // 10_000 == b // 10_000) & ((a // 100) % 100 == b % 100) & (a % 100 == (b // 100) % 100)
    )
    level[swapped] = top - 1
    level[a == b] = top
    level[missing] = MISSING
    return level


def _prefix_levels(thresholds: Sequence[float], left: pa.Array, right: pa.Array) -> Levels:
    """exact > same first ``n`` characters for each ``n`` of ``thresholds`` (longest highest)."""
    level = np.zeros(len(left), dtype=np.int8)
    left, right = pc.cast(left, pa.string()), pc.cast(right, pa.string())
    for rank, length in enumerate(sorted(thresholds), start=1):
        size = int(length)
        level[
            _equal(pc.utf8_slice_codeunits(left, 0, size), pc.utf8_slice_codeunits(right, 0, size))
        ] = rank
    level[_equal(left, right)] = len(thresholds) + 1
    level[_missing(left, right)] = MISSING
    return level


def prepare(table: pa.Table, comparisons: Sequence[Comparison], columns: Sequence[str]) -> pa.Table:
    """``table`` with the derived columns (``surname:phonetic``, ``birth_date:year``…) that the
    comparisons need or ``columns`` name, for the source columns it has."""
    wanted = [d for c in comparisons for d in c.derived()] + [n for n in columns if ":" in n]
    for name in dict.fromkeys(wanted):
        source, _, key = name.rpartition(":")
        if name in table.column_names or source not in table.column_names:
            continue
        values = table.column(source)
        if key == YEAR:
            derived = pc.year(pc.cast(values, pa.date32()))
        elif key == YMD:
            date = pc.cast(values, pa.date32())
            derived = pc.add(
                pc.add(pc.multiply(pc.year(date), 10_000), pc.multiply(pc.month(date), 100)),
                pc.day(date),
            )
        else:
            derived = french.derive(values, key)
        table = table.append_column(name, derived)
    return table


CODED = ("first", "phonetic")


def encode_keys(left: pa.Table, right: pa.Table) -> tuple[pa.Table, pa.Table]:
    """The ``first`` and ``phonetic`` keys of both tables as integers (one code space per
    key across every column and both tables), so they compare and join as numbers."""
    for key in CODED:
        names = sorted(
            {n for n in [*left.column_names, *right.column_names] if n.endswith(f":{key}")}
        )
        if not names:
            continue
        present = [
            t.column(n)
            for t in {id(left): left, id(right): right}.values()
            for n in names
            if n in t.column_names
        ]
        values = pc.drop_null(
            pc.unique(pa.chunked_array([c for col in present for c in col.chunks], pa.string()))
        )
        left = _coded(left, names, values)
        right = left if right is left else _coded(right, names, values)
    return left, right


def _coded(table: pa.Table, names: Sequence[str], values: pa.Array) -> pa.Table:
    for name in names:
        if name in table.column_names:
            index = table.column_names.index(name)
            table = table.set_column(
                index, name, pc.index_in(table.column(name), value_set=values, skip_nulls=True)
            )
    return table
