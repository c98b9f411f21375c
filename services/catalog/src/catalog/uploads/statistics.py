"""Column statistics under the SNDS small-cell rule: no count below the threshold is served."""

from typing import Any

from catalog.uploads.schemas import ColumnStatistics


def mask(values: dict[str, Any], threshold: int) -> ColumnStatistics:
    count, missing = int(values["count"]), int(values["missing"])
    present = count - missing
    categories = values.get("categories")
    if count < threshold:
        return ColumnStatistics(count=None, missing=None, categories=None, masked=True)
    small = [n for n in (missing, present) if 0 < n < threshold]
    masked_categories = categories is not None and any(
        0 < n < threshold for n in categories.values()
    )
    return ColumnStatistics(
        count=count,
        missing=None if small else missing,
        min=values.get("min") if present >= threshold else None,
        max=values.get("max") if present >= threshold else None,
        categories=None if masked_categories else categories,
        masked=bool(small) or masked_categories or present < threshold,
    )
