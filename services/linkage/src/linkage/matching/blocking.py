"""Candidate pairs: records that agree on every column of at least one blocking rule."""

from collections.abc import Iterator, Sequence

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

Pairs = tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]
_LEFT, _RIGHT = "__left_row", "__right_row"


def _keyed(table: pa.Table, columns: Sequence[str], index: str) -> pa.Table:
    keyed = table.select(list(columns)).append_column(index, pa.array(np.arange(table.num_rows)))
    for name in columns:
        keyed = keyed.filter(pc.is_valid(keyed.column(name)))
    return keyed


def candidate_pairs(left: pa.Table, right: pa.Table, rules: Sequence[Sequence[str]]) -> Pairs:
    """Distinct (left row, right row) pairs, sorted, over the union of the rules' hash joins."""
    codes = []
    for rule in rules:
        joined = _keyed(left, rule, _LEFT).join(
            _keyed(right, rule, _RIGHT), keys=list(rule), join_type="inner"
        )
        lefts = joined.column(_LEFT).to_numpy().astype(np.int64)
        rights = joined.column(_RIGHT).to_numpy().astype(np.int64)
        codes.append(lefts * right.num_rows + rights)
    if not codes:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    unique = np.unique(np.concatenate(codes))
    return unique // right.num_rows, unique % right.num_rows


def chunks(pairs: Pairs, size: int) -> Iterator[Pairs]:
    lefts, rights = pairs
    for start in range(0, len(lefts), size):
        yield lefts[start : start + size], rights[start : start + size]


def random_pairs(left_rows: int, right_rows: int, count: int, *, seed: int) -> Pairs:
    generator = np.random.default_rng(seed)
    return (
        generator.integers(0, left_rows, count, dtype=np.int64),
        generator.integers(0, right_rows, count, dtype=np.int64),
    )
