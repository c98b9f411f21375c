"""Dates of birth: ISO ``YYYY-MM-DD``, ``DD/MM/YYYY`` or ``YYYYMMDD`` to ``date32``, checked
against a plausible range."""

import datetime as dt

import pyarrow as pa
import pyarrow.compute as pc

from linkage.identifiers.checked import Checked, blank_to_null, first_failure

RULE_FORMAT = "birth_date.format"
RULE_RANGE = "birth_date.range"
EARLIEST = dt.date(1890, 1, 1)
_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%Y%m%d")


def _parse(text: pa.Array) -> pa.Array:
    parsed = pa.nulls(len(text), pa.timestamp("s"))
    for fmt in _FORMATS:
        attempt = pc.strptime(text, format=fmt, unit="s", error_is_null=True)
        exact = pc.equal(pc.strftime(attempt, format=fmt), text)  # no 31/02 rolled to 02/03
        attempt = pc.if_else(exact, attempt, pa.scalar(None, pa.timestamp("s")))
        parsed = pc.coalesce(parsed, attempt)
    return pc.cast(parsed, pa.date32())


def check(values: pa.Array, *, today: dt.date | None = None) -> Checked:
    if pa.types.is_date(values.type) or pa.types.is_timestamp(values.type):
        parsed, present = pc.cast(values, pa.date32()), pc.is_valid(values)
    else:
        text = blank_to_null(values)
        parsed, present = _parse(text), pc.is_valid(text)
    latest = pa.scalar(today or dt.datetime.now(dt.UTC).date(), pa.date32())
    out_of_range = pc.or_(
        pc.less(parsed, pa.scalar(EARLIEST, pa.date32())), pc.greater(parsed, latest)
    )
    valid, counts = first_failure(
        [(RULE_FORMAT, pc.is_null(parsed)), (RULE_RANGE, out_of_range)], present
    )
    missing = len(values) - int(pc.sum(pc.cast(present, pa.int64())).as_py() or 0)
    return Checked(pc.if_else(valid, parsed, pa.scalar(None, pa.date32())), counts, missing)
