"""The rules of one Table Schema field, checked over Arrow arrays: its type and format, its
missing values and its constraints (Frictionless specs v1 and v2, as ``frictionless`` reads
them). Whole arrays are checked at once; only a value the vectorised path cannot settle (a
custom date format that Arrow reads more leniently than Python, say) is read again in Python.
"""

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, TypeAlias

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

Values: TypeAlias = pa.Array | pa.ChunkedArray
Mask: TypeAlias = pa.Array

TRUE = ("true", "True", "TRUE", "1")  # Table Schema's defaults: other spellings are declared
FALSE = ("false", "False", "FALSE", "0")
ARROW = {
    "integer": pa.int64(),
    "number": pa.float64(),
    "year": pa.int32(),
    "boolean": pa.bool_(),
    "date": pa.date32(),
    "datetime": pa.timestamp("us"),
}
_PATTERNS = {
    "integer": r"^\s*[+-]?\d+\s*$",
    "number": r"^\s*[+-]?((\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?|(?i:inf|infinity|nan))\s*$",
    "yearmonth": r"^\d{4}-(0?[1-9]|1[0-2])$",
    "time": r"^([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d+)?([zZ]|[+-]\d{2}(:?\d{2})?)?$",
    "duration": r"^P(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$",
}
_STRING_FORMATS = {
    "email": r"^[^@\s]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$",
    "uri": r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s]*$",
    "uuid": r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$",
    "binary": r"^([A-Za-z0-9+/]{4})*([A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$",
}
_CSV_EXACT = frozenset({"number", "boolean"})
FIELD_RULE_KEYS = (
    "constraints",
    "missingValues",
    "trueValues",
    "falseValues",
    "decimalChar",
    "groupChar",
    "bareNumber",
)
_DAY_MONTH_YEAR = re.compile(r"^(%[dmY])([^%]+)(%[dmY])(?:([^%]+)(%[dmY]))?$")
_WIDTHS = {"%Y": 4, "%m": 2, "%d": 2}
_ISO_START = {"%Y": 0, "%m": 5, "%d": 8}
_ISO_TEMPLATE = np.frombuffer(b"0000-00-01", np.uint8)
_NOT_BARE = r"^[^-\d]*|\D*$"
_NO_TEXT = pa.scalar(None, pa.string())
BOUNDS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum")
_COMPARE = {
    "minimum": pc.less,
    "maximum": pc.greater,
    "exclusiveMinimum": pc.less_equal,
    "exclusiveMaximum": pc.greater_equal,
}


@dataclass(frozen=True)
class ColumnRule:
    """One field: ``constraints`` holds the Table Schema constraints other than ``required``
    and ``unique`` (bounds, lengths, ``pattern``, ``enum``), as declared."""

    name: str
    type: str
    required: bool = False
    codes: frozenset[str] | None = None
    format: str = "default"
    unique: bool = False
    constraints: tuple[tuple[str, Any], ...] = ()
    missing_values: tuple[str, ...] = ("",)
    true_values: tuple[str, ...] = TRUE
    false_values: tuple[str, ...] = FALSE
    decimal_char: str = "."
    group_char: str = ""
    bare_number: bool = True

    @classmethod
    def from_descriptor(
        cls, field: dict[str, Any], *, missing_values: tuple[str, ...] = ("",), **overrides: Any
    ) -> "ColumnRule":
        """A rule from a Table Schema field descriptor (``missingValues`` of the schema given)."""
        constraints = dict(field.get("constraints") or {})
        kind = field.get("type") or "string"
        return cls(
            name=field["name"],
            type=kind,
            required=bool(constraints.pop("required", False)),
            unique=bool(constraints.pop("unique", False)),
            format=_format(field.get("format")),
            constraints=tuple(sorted(constraints.items())),
            missing_values=tuple(field.get("missingValues", missing_values)),
            true_values=tuple(field.get("trueValues", TRUE)),
            false_values=tuple(field.get("falseValues", FALSE)),
            decimal_char=field.get("decimalChar", "."),
            group_char=field.get("groupChar", ""),
            bare_number=bool(field.get("bareNumber", True)),
            **overrides,
        )

    @property
    def arrow_type(self) -> pa.DataType:
        return ARROW.get(self.type, pa.string())

    @property
    def read_by_csv_reader(self) -> bool:
        """Whether the CSV reader may convert the column itself: only where it reads what
        Frictionless reads. It takes years of any width, datetimes without a time, dates
        between spaces and hexadecimal integers: those columns are read as text."""
        return self.read_typed and self.type in _CSV_EXACT

    @property
    def read_typed(self) -> bool:
        """Whether values already of the field's Arrow type (a Parquet file's, or the CSV
        reader's) are taken as read (then only constraints remain to check): default formats,
        plain numbers, the usual booleans, no nomenclature."""
        plain = (self.decimal_char, self.group_char, self.bare_number) == (".", "", True)
        booleans = (self.true_values, self.false_values) == (TRUE, FALSE)
        return (
            self.type in ARROW
            and self.codes is None
            and self.format == "default"
            and plain
            and booleans
            and self.missing_values == ("",)
        )


def _format(value: object) -> str:
    text = str(value or "default")
    return text.removeprefix("fmt:")


def parse(rule: ColumnRule, values: pa.Array) -> tuple[pa.Array, Mask | None]:
    """Typed values, and the mask of present values that are not of the type (None if none).
    ``values`` is text with its missing values already null."""
    reader = _READERS.get(rule.type)
    if reader is None:
        return values, None
    return reader(rule, values)


def _string(rule: ColumnRule, values: pa.Array) -> tuple[pa.Array, Mask | None]:
    pattern = _STRING_FORMATS.get(rule.format)
    if pattern is None:
        return values, None
    return _checked(values, pc.if_else(pc.match_substring_regex(values, pattern), values, _NO_TEXT))


def _integer(rule: ColumnRule, values: pa.Array) -> tuple[pa.Array, Mask | None]:
    if not rule.bare_number:
        values = pc.replace_substring_regex(pc.utf8_trim_whitespace(values), _NOT_BARE, "")
    if _holds_x(values):  # Arrow casts "0x1F" to 31; the pattern takes decimal digits only
        return _by_pattern(values, "integer", ARROW["integer"])
    return _cast(values, "integer")


def _holds_x(values: pa.Array) -> bool:
    """Whether some byte of the text's data (a slice's neighbours too) is an x or an X."""
    data = values.buffers()[2]
    return data is not None and bool(np.any((np.frombuffer(data, np.uint8) | 0x20) == ord("x")))


def _number(rule: ColumnRule, values: pa.Array) -> tuple[pa.Array, Mask | None]:
    text = values
    if (rule.decimal_char, rule.group_char, rule.bare_number) != (".", "", True):
        text = pc.utf8_trim_whitespace(values)
        if not rule.bare_number:
            text = pc.replace_substring_regex(text, _NOT_BARE, "")
        if rule.group_char:
            text = pc.replace_substring(text, rule.group_char, "")
        if rule.decimal_char != ".":
            dotted = pc.match_substring(text, ".")
            text = pc.if_else(dotted, _NO_TEXT, pc.replace_substring(text, rule.decimal_char, "."))
    typed, _ = _cast(text, "number")
    return _checked(values, typed)


def _cast(values: pa.Array, kind: str) -> tuple[pa.Array, Mask | None]:
    try:
        return pc.cast(values, ARROW[kind]), None
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return _by_pattern(values, kind, ARROW[kind])


def _boolean(rule: ColumnRule, values: pa.Array) -> tuple[pa.Array, Mask | None]:
    truths = pa.array(rule.true_values, pa.string())
    known = pc.is_in(values, value_set=pa.array(rule.true_values + rule.false_values, pa.string()))
    truth = pc.if_else(known, pc.is_in(values, value_set=truths), pa.scalar(None, pa.bool_()))
    return _checked(values, truth)


def _year(rule: ColumnRule, values: pa.Array) -> tuple[pa.Array, Mask | None]:
    """Four ASCII digits, else four characters read in Python (`` 199``, ``+199``...)."""
    four_digits = pc.and_(pc.equal(pc.binary_length(values), 4), pc.ascii_is_decimal(values))
    typed = pc.cast(pc.if_else(four_digits, values, _NO_TEXT), pa.int32())
    typed, invalid = _checked(values, typed)
    if invalid is None:
        return typed, None
    return _again_in_python(values, typed, invalid, _python_year)


def _python_year(value: str) -> int | None:
    """Frictionless's year: four characters that Python reads as a number from 0 to 9999."""
    try:
        year = int(value) if len(value) == 4 else -1
    except ValueError:
        return None
    return year if 0 <= year <= 9999 else None


def _yearmonth(rule: ColumnRule, values: pa.Array) -> tuple[pa.Array, Mask | None]:
    """``YYYY-MM`` checked as the first day of its month, else by its pattern (which takes
    ``YYYY-M`` too)."""
    if _as_iso(values, "%Y-%m") is not None:
        return values, None
    return _text_kind(rule, values)


def _text_kind(rule: ColumnRule, values: pa.Array) -> tuple[pa.Array, Mask | None]:
    """Types kept as text (time, yearmonth, duration): checked by their pattern."""
    return _by_pattern(values, rule.type, pa.string())


def _date(rule: ColumnRule, values: pa.Array) -> tuple[pa.Array, Mask | None]:
    if rule.format == "default":
        try:
            return pc.cast(values, pa.date32()), None
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            pass
    fmt = "%Y-%m-%d" if rule.format == "default" else rule.format
    iso = _as_iso(values, fmt)
    if iso is not None:
        return iso, None
    return _strptime(values, fmt, pa.date32(), lambda v: _python_date(v, fmt))


def _as_iso(values: pa.Array, fmt: str) -> pa.Array | None:
    """Dates of a day-month-year format (``%d/%m/%Y``, ``%Y-%m``...) with their bytes moved
    into ISO dates (the first of the month without a day), which Arrow reads strictly; None when
    some value is not written that way. Every present value must have the format's width and
    separators."""
    layout = _layout(fmt)
    if layout is None:
        return None
    try:
        fixed = values.cast(pa.binary(layout.width))
    except pa.ArrowInvalid:  # some value of another width
        return None
    validity, data = fixed.buffers()
    rows = np.frombuffer(data, np.uint8, (fixed.offset + len(fixed)) * layout.width)
    rows = rows.reshape(-1, layout.width)
    written = np.all(rows[fixed.offset :, layout.separators] == layout.separator_bytes, axis=1)
    if not np.all(written | ~fixed.is_valid().to_numpy(zero_copy_only=False)):
        return None
    iso = np.empty((len(rows), len(_ISO_TEMPLATE)), np.uint8)
    iso[:] = _ISO_TEMPLATE
    iso[:, layout.iso_positions] = rows[:, layout.positions]
    offsets = np.arange(0, iso.size + 1, len(_ISO_TEMPLATE), dtype=np.int32)
    text = pa.StringArray.from_buffers(
        len(fixed), pa.py_buffer(offsets), pa.py_buffer(iso), validity, offset=fixed.offset
    )
    try:
        return pc.cast(text, pa.date32())
    except pa.ArrowInvalid:
        return None


@dataclass(frozen=True)
class _Layout:
    """Where the parts of a day-month-year format are: ``positions`` (bytes of a value) go to
    ``iso_positions`` (bytes of an ISO date)."""

    width: int
    positions: list[int]
    iso_positions: list[int]
    separators: list[int]
    separator_bytes: Any


@functools.cache
def _layout(fmt: str) -> _Layout | None:
    match = _DAY_MONTH_YEAR.match(fmt)
    parts = [p for p in match.groups() if p is not None] if match is not None else []
    if sorted(parts[::2]) not in (["%Y", "%d", "%m"], ["%Y", "%m"]):
        return None
    positions: list[int] = []
    iso_positions: list[int] = []
    separators: list[int] = []
    position = 0
    for part in parts:
        size = _WIDTHS.get(part, len(part.encode()))
        if part in _WIDTHS:
            positions += range(position, position + size)
            iso_positions += range(_ISO_START[part], _ISO_START[part] + size)
        else:
            separators += range(position, position + size)
        position += size
    literal = np.frombuffer("".join(parts[1::2]).encode(), np.uint8)
    return _Layout(position, positions, iso_positions, separators, literal)


def _datetime(rule: ColumnRule, values: pa.Array) -> tuple[pa.Array, Mask | None]:
    if rule.format == "default":
        # 19 characters at least, counted in bytes: Arrow reads none but ASCII ones
        short = pc.less(pc.binary_length(values), 19)
        kept = pc.if_else(short, _NO_TEXT, values) if pc.any(short).as_py() else values
        try:
            return _checked(values, pc.cast(kept, pa.timestamp("us")))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            return _in_python(values, pa.timestamp("us"), _python_iso)
    return _strptime(
        values, rule.format, pa.timestamp("us"), lambda v: _python_datetime(v, rule.format)
    )


def _strptime(
    values: pa.Array, fmt: str, target: pa.DataType, slow: Callable[[str], object]
) -> tuple[pa.Array, Mask | None]:
    """Arrow's ``strptime``, then each value that does not print back the same read in Python
    (Arrow takes 31/02 for 02/03; Python takes unpadded numbers)."""
    if fmt == "any" or "%z" in fmt or "%Z" in fmt:
        return _in_python(values, target, slow)
    parsed = pc.strptime(values, format=fmt, unit="us", error_is_null=True)
    printed = pc.strftime(parsed, format=fmt)
    doubtful = pc.fill_null(pc.not_equal(printed, values), True)
    doubtful = pc.and_(doubtful, pc.is_valid(values))
    typed = pc.cast(parsed, target)
    if not doubtful.true_count:
        return typed, None
    return _again_in_python(values, typed, doubtful, slow)


def _again_in_python(
    values: pa.Array, typed: pa.Array, doubtful: Mask, read: Callable[[str], object]
) -> tuple[pa.Array, Mask | None]:
    """``typed`` with its ``doubtful`` values read again, by ``read``."""
    again = _in_python(values.filter(doubtful), typed.type, read)[0]
    return _checked(values, pc.replace_with_mask(typed, doubtful, again))


def _in_python(
    values: pa.Array, target: pa.DataType, read: Callable[[str], object]
) -> tuple[pa.Array, Mask | None]:
    typed = pa.array([None if v is None else read(v) for v in values.to_pylist()], target)
    return _checked(values, typed)


def _python_date(value: str, fmt: str) -> date | None:
    read = _python_datetime(value, fmt)
    return read.date() if read is not None else None


def _python_datetime(value: str, fmt: str) -> datetime | None:
    try:
        if fmt == "any":
            return datetime.fromisoformat(value)
        return _naive(datetime.strptime(value, fmt))
    except ValueError:
        return None


def _python_iso(value: str) -> datetime | None:
    if len(value) < 19 or value[16] != ":":
        return None
    try:
        return _naive(datetime.fromisoformat(value))
    except ValueError:
        return None


def _naive(value: datetime) -> datetime:
    """A time with an offset, as the UTC time it names (Parquet keeps naive UTC times)."""
    return value if value.tzinfo is None else value.astimezone(UTC).replace(tzinfo=None)


def _by_pattern(values: pa.Array, kind: str, target: pa.DataType) -> tuple[pa.Array, Mask | None]:
    matches = pc.match_substring_regex(values, _PATTERNS[kind])
    kept = pc.if_else(matches, values, _NO_TEXT)
    if pa.types.is_integer(target) or pa.types.is_floating(target):
        kept = pc.utf8_trim_whitespace(pc.utf8_ltrim(kept, characters="+"))
    try:
        typed = pc.cast(kept, target)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        typed = pa.nulls(len(values), target)
    return _checked(values, typed)


def _checked(values: pa.Array, typed: pa.Array) -> tuple[pa.Array, Mask | None]:
    invalid = _invalid(values, typed)
    return typed, invalid if invalid.true_count else None


def _invalid(values: pa.Array, typed: pa.Array) -> Mask:
    return pc.and_(pc.is_valid(values), pc.is_null(typed))


_READERS: dict[str, Callable[[ColumnRule, pa.Array], tuple[pa.Array, Mask | None]]] = {
    "string": _string,
    "integer": _integer,
    "number": _number,
    "boolean": _boolean,
    "year": _year,
    "date": _date,
    "datetime": _datetime,
    "time": _text_kind,
    "yearmonth": _yearmonth,
    "duration": _text_kind,
}


def violations(rule: ColumnRule, typed: Values) -> list[tuple[str, Mask]]:
    """For each declared constraint that some value breaks, its name and the mask of those
    values. ``typed`` holds nulls for missing and mistyped values, which break none."""
    found = []
    for name, bound in rule.constraints:
        mask = _violation(rule, name, bound, typed)
        if mask is not None and pc.any(mask).as_py():
            found.append((name, mask))
    return found


def _violation(rule: ColumnRule, name: str, bound: Any, typed: Values) -> Mask | None:
    if name in _COMPARE:
        scalar = constraint_value(rule, bound)
        return None if scalar is None else _COMPARE[name](typed, scalar)
    if name in ("minLength", "maxLength") and rule.type == "string":
        compare = pc.less if name == "minLength" else pc.greater
        return compare(pc.utf8_length(typed), int(bound))
    if name == "pattern" and rule.type == "string":
        return _not_matching(typed, str(bound))
    if name == "enum" and isinstance(bound, list):
        allowed = [constraint_value(rule, item) for item in bound]
        value_set = pa.array([a.as_py() for a in allowed if a is not None], typed.type)
        return pc.and_(pc.is_valid(typed), pc.invert(pc.is_in(typed, value_set=value_set)))
    return None


def constraint_value(rule: ColumnRule, value: Any) -> pa.Scalar | None:
    """A constraint's value read as the field's type (bounds of a date are dates...)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal, str)):
        return None
    text = pa.array([str(value)], pa.string())
    if rule.type in ("integer", "number") and not isinstance(value, str):
        plain = ColumnRule(rule.name, rule.type)
        typed, _ = parse(plain, text)
    else:
        typed, _ = parse(rule, text)
    scalar: pa.Scalar = typed[0]
    return scalar if scalar.is_valid else None


def _not_matching(values: Values, pattern: str) -> Mask:
    anchored = f"^(?:{pattern})$"
    try:
        return pc.invert(pc.match_substring_regex(values, anchored))
    except pa.ArrowInvalid:  # a pattern RE2 does not take (look-arounds...): Python's re
        compiled = re.compile(anchored)
        return pa.array(
            [None if v is None else compiled.match(v) is None for v in values.to_pylist()],
            pa.bool_(),
        )
