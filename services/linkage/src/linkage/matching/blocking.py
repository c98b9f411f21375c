"""Candidate pairs: records that agree on every column of at least one blocking rule.

A rule's column may name alternatives, ``surname:phonetic|usage_name:phonetic``: the
records agree on it when any of the left record's columns agrees with any of the right's.
"""

import itertools
from collections.abc import Iterator, Sequence

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

Pairs = tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]
_LEFT, _RIGHT = "__left_row", "__right_row"


def _keyed(table: pa.Table, columns: Sequence[str], index: str) -> pa.Table:
    keyed = pa.table(
        {f"k{i}": table.column(name) for i, name in enumerate(columns)}
        | {index: pa.array(np.arange(table.num_rows))}
    )
    for i in range(len(columns)):
        keyed = keyed.filter(pc.is_valid(keyed.column(f"k{i}")))
    return keyed


def choices(rule: Sequence[str], columns: Sequence[str]) -> list[tuple[str, ...]]:
    """Each way of reading a rule's alternatives on a table of these ``columns``."""
    options = [[a for a in name.split("|") if a in columns] for name in rule]
    return list(itertools.product(*options))


def _joined(left: pa.Table, right: pa.Table, rule: Sequence[str]) -> Iterator[Pairs]:
    keys = [f"k{i}" for i in range(len(rule))]
    for on_left in choices(rule, left.column_names):
        keyed_left = _keyed(left, on_left, _LEFT)
        for on_right in choices(rule, right.column_names):
            joined = keyed_left.join(_keyed(right, on_right, _RIGHT), keys=keys, join_type="inner")
            yield (
                joined.column(_LEFT).to_numpy().astype(np.int64),
                joined.column(_RIGHT).to_numpy().astype(np.int64),
            )


def rule_columns(rules: Sequence[Sequence[str]]) -> list[str]:
    """Every column the rules name, alternatives included."""
    return [name for rule in rules for column in rule for name in column.split("|")]


class Blocking:
    """Candidate pairs of two tables by rule, each rule's joins done once (training passes,
    the prior and the final candidates share rules)."""

    def __init__(self, left: pa.Table, right: pa.Table, *, dedupe: bool = False) -> None:
        self.left, self.right, self.dedupe = left, right, dedupe
        self._codes: dict[tuple[str, ...], npt.NDArray[np.int64]] = {}

    def _rule(self, rule: Sequence[str]) -> npt.NDArray[np.int64]:
        key = tuple(rule)
        if key not in self._codes:
            codes = [np.zeros(0, dtype=np.int64)]
            for lefts, rights in _joined(self.left, self.right, rule):
                keep = lefts < rights if self.dedupe else slice(None)
                codes.append(lefts[keep] * self.right.num_rows + rights[keep])
            # one join gives each pair once; alternatives may give it again
            self._codes[key] = codes[-1] if len(codes) == 2 else np.unique(np.concatenate(codes))
        return self._codes[key]

    def pairs(self, rules: Sequence[Sequence[str]]) -> Pairs:
        """Distinct (left row, right row) pairs, sorted, over the union of the rules' hash
        joins; when deduplicating (``left`` is ``right``), pairs with left row < right row."""
        codes = [self._rule(rule) for rule in rules] or [np.zeros(0, dtype=np.int64)]
        unique = codes[0] if len(codes) == 1 else np.unique(np.concatenate(codes))
        return unique // self.right.num_rows, unique % self.right.num_rows


def candidate_pairs(
    left: pa.Table, right: pa.Table, rules: Sequence[Sequence[str]], *, dedupe: bool = False
) -> Pairs:
    """:meth:`Blocking.pairs` of a new blocking."""
    return Blocking(left, right, dedupe=dedupe).pairs(rules)


def chunks(pairs: Pairs, size: int) -> Iterator[Pairs]:
    lefts, rights = pairs
    for start in range(0, len(lefts), size):
        yield lefts[start : start + size], rights[start : start + size]


def random_pairs(
    left_rows: int, right_rows: int, count: int, *, seed: int, dedupe: bool = False
) -> Pairs:
    generator = np.random.default_rng(seed)
    lefts = generator.integers(0, left_rows, count, dtype=np.int64)
    rights = generator.integers(0, right_rows, count, dtype=np.int64)
    if dedupe:
        distinct = lefts != rights
        return lefts[distinct], rights[distinct]
    return lefts, rights


def sample(pairs: Pairs, count: int, *, seed: int) -> Pairs:
    """At most ``count`` of ``pairs``, drawn without replacement, in their order."""
    if len(pairs[0]) <= count:
        return pairs
    chosen = np.sort(np.random.default_rng(seed).choice(len(pairs[0]), count, replace=False))
    return pairs[0][chosen], pairs[1][chosen]
