"""Comparison levels, computed for many candidate pairs at once.

Each comparison turns a pair of values into a level: ``-1`` when either is missing (the
comparison then says nothing), ``0`` for disagreement, and higher levels for closer
agreement, the highest being exact agreement.
"""

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
from rapidfuzz.distance import JaroWinkler
from rapidfuzz.process import cpdist

Levels = npt.NDArray[np.int8]
MISSING = -1


@dataclass(frozen=True)
class Comparison:
    """``exact``; ``jaro_winkler`` with similarity thresholds; ``date`` or ``numeric`` with
    absolute-difference tolerances (days for dates). Levels: exact, then each threshold in
    order of closeness, then disagreement."""

    column: str
    kind: Literal["exact", "jaro_winkler", "date", "numeric"] = "exact"
    thresholds: tuple[float, ...] = field(default_factory=tuple)
    term_frequency: bool = False

    @property
    def levels(self) -> int:
        return 2 + len(self.thresholds)

    @property
    def name(self) -> str:
        return f"{self.column}:{self.kind}"

    def compare(self, left: pa.Array, right: pa.Array) -> Levels:
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
