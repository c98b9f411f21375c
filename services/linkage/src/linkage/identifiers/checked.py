from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.compute as pc


@dataclass(frozen=True)
class Checked:
    """Normalised values (null when missing or invalid) and invalid counts by rule."""

    values: pa.Array
    invalid: dict[str, int] = field(default_factory=dict)
    missing: int = 0

    @property
    def invalid_total(self) -> int:
        return sum(self.invalid.values())


def count(mask: pa.Array) -> int:
    """How many ``True`` in a boolean array (nulls count as false)."""
    return int(pc.sum(pc.fill_null(mask, False)).as_py() or 0)


def as_strings(values: pa.Array) -> pa.Array:
    if pa.types.is_string(values.type) or pa.types.is_large_string(values.type):
        return values
    return pc.cast(values, pa.string())


def blank_to_null(values: pa.Array) -> pa.Array:
    trimmed = pc.utf8_trim_whitespace(as_strings(values))
    return pc.if_else(pc.equal(trimmed, ""), pa.scalar(None, trimmed.type), trimmed)


def first_failure(
    rules: list[tuple[str, pa.Array]], present: pa.Array
) -> tuple[pa.Array, dict[str, int]]:
    """Apply ``(rule, failed)`` masks in order; a value counts against its first failed rule.

    Returns the mask of valid values among ``present`` and the counts by rule.
    """
    remaining = pc.fill_null(present, False)
    counts: dict[str, int] = {}
    for rule, failed in rules:
        if not pc.any(pc.fill_null(failed, True)).as_py():
            continue
        hit = pc.and_(remaining, pc.fill_null(failed, True))
        if n := count(hit):
            counts[rule] = n
        remaining = pc.and_not(remaining, hit)
    return remaining, counts
