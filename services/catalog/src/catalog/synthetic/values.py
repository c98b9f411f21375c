"""Synthetic values of one column that honour its Table Schema: type, format, ``length``,
``enum``, bounds (``minimum``, ``maximum`` and their exclusive forms), ``minLength``,
``maxLength``, ``pattern`` (where feasible), ``trueValues``/``falseValues``; and their text
in a CSV file, written in the column's ``format``.

``free`` draws a value; ``nth`` gives the value of row ``n`` of a key or unique column, a
different one per row while the column's range allows.
"""

import base64
import math
import random
import re
import uuid
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Any

from catalog.synthetic.patterns import matching

START = date(2015, 1, 1)
DAYS = 3000
KEY_WIDTH = 9
MAX_DIGITS = 18
_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    length: int | None = None
    nomenclature: str | None = None
    format: str = "default"
    constraints: dict[str, Any] = field(default_factory=dict)
    true_values: tuple[str, ...] = ("true",)
    false_values: tuple[str, ...] = ("false",)
    missing_values: tuple[str, ...] = ("",)

    @property
    def written(self) -> str | None:
        """The strftime format of a date, time or datetime written otherwise than ISO."""
        text = self.format.removeprefix("fmt:")
        return text if "%" in text else None

    @property
    def only_true(self) -> tuple[str, ...]:
        """The texts read as true: one that is also a false value is read as false."""
        return tuple(v for v in self.true_values if v not in self.false_values)

    @property
    def booleans(self) -> tuple[bool, ...]:
        """The truths a file can tell."""
        truths = (True,) if self.only_true else ()
        return (*truths, False) if self.false_values else truths


def merged(column: Column, other: Column) -> Column:
    """``column`` narrowed by ``other``'s constraints: the values that keep both (a key and
    a foreign key that takes its values)."""
    mine, theirs = column.constraints, other.constraints
    constraints = dict(mine)
    for name, pick in (("minimum", max), ("minLength", max), ("maximum", min), ("maxLength", min)):
        values = [_number(c.get(name)) for c in (mine, theirs)]
        present = [v for v in values if v is not None]
        if present:
            constraints[name] = pick(present)
    if isinstance(theirs.get("enum"), list):
        enum = mine.get("enum")
        kept = [e for e in enum if str(e) in {str(t) for t in theirs["enum"]}] if enum else None
        constraints["enum"] = kept or theirs["enum"]
    lengths = [n for n in (column.length, other.length) if n]
    return replace(column, constraints=constraints, length=min(lengths) if lengths else None)


def free(column: Column, rng: random.Random) -> Any:
    """A value drawn at random within everything the column declares."""
    enum = _enum(column)
    if enum:
        return rng.choice(enum)
    for _ in range(8):
        value = _draw(column, rng)
        if satisfies(column, value):
            return value
    return value


def nth(column: Column, row: int) -> Any:
    """The value of row ``row`` of a key or unique column (distinct while the range allows)."""
    enum = _enum(column)
    if enum:
        return enum[row % len(enum)]
    kind = column.type
    if kind in ("integer", "year", "number"):
        low, high = _bounds(column, 1 if kind != "year" else 1900)
        span = int(high - low) + 1 if high is not None else None
        value = math.ceil(low) + (row % span if span and span > 0 else row)
        return float(value) if kind == "number" else value
    if kind == "date":
        return _date_bounds(column)[0] + timedelta(days=row)
    if kind == "datetime":
        return datetime.combine(_date_bounds(column)[0], time()) + timedelta(minutes=row)
    if kind == "boolean":
        return column.booleans[row % len(column.booleans)]
    if kind in ("string", "any"):
        return _nth_text(column, row)
    return _draw(column, random.Random(row))


def _nth_text(column: Column, row: int) -> str:
    """Digits of the column's width: a column typed integer across a foreign key reads the
    same value, within the bounds a key of that width has. A string format or a pattern has
    its own shape (a pattern's values are distinct only as far as chance goes)."""
    if column.format in FORMATS:
        return FORMATS[column.format](row)
    if isinstance(column.constraints.get("pattern"), str):
        return _text(column, random.Random(row))
    low, high = _lengths(column, default=KEY_WIDTH)
    width = max(low, min(high, column.length or KEY_WIDTH))
    if width <= MAX_DIGITS:
        first = 10 ** (width - 1) if width > 1 else 0
        return str(first + row % (10**width - first))
    return "S" + str(row + 1).zfill(width - 1)


FORMATS = {
    "email": lambda n: f"synthetic.{n + 1}@example.org",
    "uri": lambda n: f"https://example.org/synthetic/{n + 1}",
    "uuid": lambda n: str(uuid.UUID(int=n + 1, version=4)),
    "binary": lambda n: base64.b64encode(n.to_bytes(6, "big")).decode(),
}


def _draw(column: Column, rng: random.Random) -> Any:
    kind = column.type
    if kind in ("integer", "year"):
        low, high = _bounds(column, 0 if kind == "integer" else 2010)
        top = high if high is not None else low + (999 if kind == "integer" else 13)
        return rng.randint(math.ceil(low), math.floor(top))
    if kind == "number":
        low, high = _bounds(column, 0.0)
        top = high if high is not None else low + 1000
        return _inside(round(rng.uniform(low, top), 2), low, top)
    if kind == "boolean":
        return rng.choice(column.booleans)
    if kind == "date":
        first, last = _date_bounds(column)
        return first + timedelta(days=rng.randint(0, max(0, (last - first).days)))
    if kind == "datetime":
        first, last = _date_bounds(column)
        seconds = rng.randint(0, max(0, (last - first).days) * 86400)
        return datetime.combine(first, time()) + timedelta(seconds=seconds)
    if kind == "yearmonth":
        first, last = _text_bounds(column, "2010-01", "2023-12")
        months = _months(last) - _months(first)
        return _yearmonth(_months(first) + rng.randint(0, max(0, months)))
    if kind == "time":
        return f"{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}"
    if kind == "duration":
        return f"P{rng.randint(0, 30)}DT{rng.randint(0, 23)}H"
    return _text(column, rng)


def _text(column: Column, rng: random.Random) -> str:
    if column.format in FORMATS:
        return FORMATS[column.format](rng.getrandbits(40))
    pattern = column.constraints.get("pattern")
    if isinstance(pattern, str):
        for _ in range(8):
            text = matching(pattern, rng)
            if text is not None and _fits_lengths(column, text):
                return text
    low, high = _lengths(column, default=8)
    width = max(low, min(high, column.length or 8, 12))
    return "".join(rng.choice(_LETTERS) for _ in range(width))


def satisfies(column: Column, value: Any) -> bool:
    """Whether ``value`` keeps every constraint of the column (what the generator can check)."""
    constraints = column.constraints
    if value is None:
        return not constraints.get("required")
    enum = constraints.get("enum")
    if isinstance(enum, list) and enum and _text_of(value) not in {str(e) for e in enum}:
        return False
    if isinstance(value, bool):
        return value in column.booleans
    if isinstance(value, int | float) and column.type in ("integer", "year", "number"):
        low, high = _bounds(column, -math.inf)
        return low <= value and (high is None or value <= high)
    if isinstance(value, str) and column.type in ("string", "any"):
        pattern = constraints.get("pattern")
        if isinstance(pattern, str) and not re.fullmatch(pattern, value):
            return False
        return _fits_lengths(column, value) and value not in column.missing_values
    if isinstance(value, date):
        first, last = _date_bounds(column, window=False)
        day = value.date() if isinstance(value, datetime) else value
        return (first is None or first <= day) and (last is None or day <= last)
    return True


def text(column: Column, value: Any) -> str:
    """The value as a CSV cell the column's Table Schema reads back."""
    if value is None:
        return column.missing_values[0] if column.missing_values else ""
    if isinstance(value, bool):
        return column.only_true[0] if value else column.false_values[0]
    if isinstance(value, datetime):
        return value.strftime(column.written) if column.written else value.isoformat()
    if isinstance(value, date):
        return value.strftime(column.written) if column.written else value.isoformat()
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else ""
    return str(value)


def _enum(column: Column) -> list[Any]:
    """The enumerated values that are not missing values, in the column's type."""
    enum = column.constraints.get("enum")
    if not isinstance(enum, list):
        return []
    present = [e for e in enum if str(e) not in column.missing_values]
    return [v for v in (cast(e, column) for e in present) if v is not None]


def cast(value: Any, column: Column) -> Any:
    """``value`` (a code, an enumerated value, a key of another type) in the column's type."""
    try:
        if column.type in ("integer", "year"):
            return value.toordinal() if isinstance(value, date) else int(str(value))
        if column.type == "number":
            return float(value.toordinal()) if isinstance(value, date) else float(str(value))
        if column.type == "boolean":
            return value if isinstance(value, bool) else str(value) in column.true_values
        if column.type == "date":
            return value if isinstance(value, date) else date.fromisoformat(str(value))
        if column.type == "datetime":
            return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    except (TypeError, ValueError):
        return None
    return value.isoformat() if isinstance(value, date) else str(value)


def _bounds(column: Column, default_low: float) -> tuple[float, float | None]:
    """The closed range of a number: declared bounds, exclusive ones moved inside, and the
    room of an integer's declared ``length`` (digits)."""
    constraints = column.constraints
    step = 1 if column.type in ("integer", "year") else 0.01
    low = _number(constraints.get("minimum"))
    high = _number(constraints.get("maximum"))
    exclusive_low = _number(constraints.get("exclusiveMinimum"))
    exclusive_high = _number(constraints.get("exclusiveMaximum"))
    if exclusive_low is not None:
        low = max(low if low is not None else -math.inf, exclusive_low + step)
    if exclusive_high is not None:
        high = min(high if high is not None else math.inf, exclusive_high - step)
    if column.type == "integer" and column.length and column.length <= MAX_DIGITS:
        high = min(high if high is not None else math.inf, 10**column.length - 1)
    if low is None:
        low = default_low if high is None or default_low <= high else high
    return low, high


def _inside(value: float, low: float, high: float) -> float:
    return min(max(value, low), high)


def _number(value: object) -> float | None:
    try:
        return float(str(value)) if value is not None and str(value).strip() else None
    except ValueError:
        return None


def _date_bounds(column: Column, *, window: bool = True) -> tuple[Any, Any]:
    """The declared ``minimum`` and ``maximum`` of a date; within the default window when
    ``window``, else None for a side not declared."""
    found = []
    for name in ("minimum", "maximum"):
        raw = column.constraints.get(name)
        try:
            found.append(datetime.fromisoformat(str(raw)).date() if raw else None)
        except ValueError:
            found.append(None)
    first, last = found
    if not window:
        return first, last
    first = first or (START if last is None or last > START else last - timedelta(days=DAYS))
    return first, last or first + timedelta(days=DAYS)


def _text_bounds(column: Column, low: str, high: str) -> tuple[str, str]:
    minimum, maximum = column.constraints.get("minimum"), column.constraints.get("maximum")
    return (str(minimum) if minimum else low), (str(maximum) if maximum else high)


def _months(text: str) -> int:
    year, _, month = text.partition("-")
    return int(year) * 12 + int(month or 1) - 1


def _yearmonth(months: int) -> str:
    return f"{months // 12:04d}-{months % 12 + 1:02d}"


def _lengths(column: Column, *, default: int) -> tuple[int, int]:
    constraints = column.constraints
    low = int(_number(constraints.get("minLength")) or 1)
    declared = _number(constraints.get("maxLength")) or column.length or max(low, default)
    return low, max(low, int(declared))


def _fits_lengths(column: Column, text: str) -> bool:
    low, high = _lengths(column, default=len(text))
    return low <= len(text) <= max(high, low)


def _text_of(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    return value.isoformat() if isinstance(value, date) else str(value)
