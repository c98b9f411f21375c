"""Statistical disclosure control of the cells of an aggregate query, before release.

Written here rather than with ``acro`` (SACRO): acro checks pandas crosstabs that it builds
itself from the row-level DataFrame in memory (its masks rerun ``pd.crosstab`` with its own
aggregation functions), so it would bring every row of a project table into the worker's
Python memory, where we compute the per-cell figures in DuckDB; and it installs matplotlib,
scipy, statsmodels, openpyxl and lxml with pandas. The rules are the ones acro applies:

- threshold: a cell with fewer distinct persons than ``threshold`` (never below 10);
- n-k dominance (k = 2): the two largest contributions (per person) exceed n% of the total;
- p% rule: the total less the two largest contributions is under p% of the largest, so the
  second contributor could estimate the largest within p%;
- secondary: along every line of the table (all keys fixed but one, margins included) a
  line with a single suppressed cell gets its smallest other cell suppressed too, until no
  line has exactly one; a hidden cell cannot then be recomputed from its margin.

No minimum or maximum is ever released (they are one person's value; the compiler refuses
them). Against differencing (two queries whose populations differ by one person), sums are
rounded to a base (1, 2 or 5 times a power of ten) at least twice the cell's largest
contribution, and means come from the rounded sum: the difference of two answers then leaves
the isolated person's value in an interval at least twice as wide as the value. Row counts
are sums of rows per person and get the same dominance rules and rounding. Quantiles
(interpolated, so rarely one person's value) are rounded to two significant digits, so that
even a median that falls on one person's value does not give it exactly. Person counts
stay exact (they reveal membership of a filter's population, not a value).
"""

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, Field

from workspace.queries.schemas import Cell, Reason, Scalar

KeyPart = tuple[bool, Scalar | None]
QUANTILE_PREFIXES = ("median_", "p25_", "p75_")


class Control(BaseModel):
    threshold: int = Field(10, ge=10)
    dominance_n: float = Field(85.0, gt=0, le=100)
    p_percent: float = Field(10.0, ge=0, le=100)


@dataclass
class _Cell:
    key: tuple[KeyPart, ...]
    row: Mapping[str, Any]
    reasons: set[Reason] = field(default_factory=set)


def _top(row: Mapping[str, Any], column: str) -> list[float]:
    """The two largest contributions to ``column`` in the cell, 0 for those missing."""
    return [*(row[f"{column}_top"] or []), 0.0, 0.0][:2]


def primary(row: Mapping[str, Any], magnitudes: Iterable[str], control: Control) -> set[Reason]:
    reasons = set()
    if row["persons"] < control.threshold:
        reasons.add(Reason.THRESHOLD)
    for v in magnitudes:
        total, top = row[f"{v}_abs"] or 0.0, _top(row, v)
        if total > 0 and top[0] + top[1] > control.dominance_n / 100 * total:
            reasons.add(Reason.DOMINANCE_NK)
        if total - top[0] - top[1] < control.p_percent / 100 * top[0]:
            reasons.add(Reason.DOMINANCE_P)
    return reasons


def _lines(cells: list[_Cell], dims: int) -> Iterable[list[_Cell]]:
    for d in range(dims):
        lines: dict[tuple[KeyPart, ...], list[_Cell]] = defaultdict(list)
        for cell in cells:
            lines[cell.key[:d] + cell.key[d + 1 :]].append(cell)
        yield from lines.values()


def secondary(cells: list[_Cell], dims: int) -> None:
    changed = True
    while changed:
        changed = False
        for line in _lines(cells, dims):
            hidden = [cell for cell in line if cell.reasons]
            shown = [cell for cell in line if not cell.reasons]
            if len(hidden) == 1 and shown:
                smallest = min(shown, key=lambda c: (c.row["persons"], any(m for m, _ in c.key)))
                smallest.reasons.add(Reason.SECONDARY)
                changed = True


def rounding_base(top: float) -> float:
    """The smallest of 1, 2 or 5 times a power of ten that is at least twice ``top``."""
    if top <= 0:
        return 1.0
    power = 10.0 ** math.floor(math.log10(2 * top))
    return next(step * power for step in (1, 2, 5, 10) if step * power >= 2 * top)


def _release(cell: _Cell, *, values: Mapping[str, str], magnitudes: list[str]) -> Cell:
    keys = [value for _, value in cell.key]
    margin = [is_margin for is_margin, _ in cell.key]
    if cell.reasons:
        hidden = dict.fromkeys(values)
        return Cell(
            keys=keys,
            margin=margin,
            persons=None,
            values=hidden,
            suppressed=True,
            reasons=sorted(cell.reasons),
        )
    row, bases = cell.row, {v: rounding_base(_top(cell.row, v)[0]) for v in magnitudes}
    released: dict[str, float | None] = {}
    rounded_to: dict[str, float] = {}
    for name, column in values.items():
        value = row[column]
        if column in bases and value is not None:
            rounded_to[name] = bases[column]
            value = math.floor(value / bases[column] + 0.5) * bases[column]
            value = value / row[f"{column}_n"] if name.startswith("mean_") else value
        elif name.startswith(QUANTILE_PREFIXES) and value:
            rounded_to[name] = 10.0 ** (math.floor(math.log10(abs(value))) - 1)
            value = round(math.floor(value / rounded_to[name] + 0.5) * rounded_to[name], 12)
        released[name] = None if value is None else float(value)
    return Cell(
        keys=keys, margin=margin, persons=row["persons"], values=released, rounded_to=rounded_to
    )


def protect(
    rows: Sequence[Mapping[str, Any]],
    *,
    keys: list[str],
    values: Mapping[str, str],
    magnitudes: list[str],
    control: Control,
) -> list[Cell]:
    """The released cells: primary suppression, secondary suppression, rounding."""
    dims = len(keys)
    cells = []
    for row in rows:
        margin = [bool(row["g"] >> (dims - 1 - i) & 1) for i in range(dims)]
        key = tuple((m, None if m else row[k]) for m, k in zip(margin, keys, strict=True))
        cells.append(_Cell(key=key, row=row, reasons=primary(row, magnitudes, control)))
    secondary(cells, dims)
    return [_release(cell, values=values, magnitudes=magnitudes) for cell in cells]
