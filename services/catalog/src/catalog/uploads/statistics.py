"""Column statistics under the SNDS small-cell rule: no count below the threshold is served,
and no figure that would let one be recomputed.

A column's missing values and its categories (or its present values) are the cells of one
partition of its rows, whose total is served. A cell below the threshold is hidden; when only
one is, the next smallest is hidden too, so that the total minus the cells shown gives
nothing away. Numeric bounds are not the extremes but the threshold-th smallest and largest
values (as many persons at least reach them), rounded outwards to a tenth of the power of ten
of their spread (60 and 190 for 61.37 and 187.2).
"""

import math
from typing import Any

from catalog.uploads.schemas import ColumnStatistics

_MISSING = "\x00missing"
_PRESENT = "\x00present"


def mask(values: dict[str, Any], threshold: int) -> ColumnStatistics:
    count, missing = int(values["count"]), int(values["missing"])
    if count < threshold:
        return ColumnStatistics(count=None, missing=None, categories=None, masked=True)
    categories = values.get("categories") or None
    cells = {_MISSING: missing} | (categories or {_PRESENT: count - missing})
    hidden = suppressed(cells, threshold)
    low, high = _bounds(values.get("low"), values.get("high"))
    return ColumnStatistics(
        count=count,
        missing=None if _MISSING in hidden else missing,
        min=low,
        max=high,
        categories={k: None if k in hidden else n for k, n in categories.items()}
        if categories is not None
        else None,
        masked=bool(hidden),
    )


def suppressed(cells: dict[str, int], threshold: int) -> set[str]:
    """The cells to hide: those below the threshold, and the next smallest if only one is."""
    hidden = {name for name, n in cells.items() if 0 < n < threshold}
    if len(hidden) == 1:
        others = sorted((n, name) for name, n in cells.items() if name not in hidden and n > 0)
        hidden.update(name for _, name in others[:1])
    return hidden


def _bounds(low: float | None, high: float | None) -> tuple[float | None, float | None]:
    """Bounds coarsened outwards; statistics recorded with exact extremes have none."""
    if low is None or high is None:
        return None, None
    spread = high - low
    step = 10.0 ** (math.floor(math.log10(spread)) - 1) if spread > 0 else _step_of(low)
    digits = max(0, 1 - math.floor(math.log10(step)))
    return round(math.floor(low / step) * step, digits), round(
        math.ceil(high / step) * step, digits
    )


def _step_of(value: float) -> float:
    """Two significant figures of a lone value."""
    return 10.0 ** (math.floor(math.log10(abs(value))) - 1) if value else 1.0
