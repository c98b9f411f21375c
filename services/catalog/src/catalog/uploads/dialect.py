"""CSV dialects: what a producer declared, what the first bytes of a file say, and the
delimiter under which a header that did not match would have matched."""

import codecs
import csv
import io
import re
from dataclasses import dataclass
from typing import Any

DELIMITERS = (",", ";", "\t", "|")
ENCODINGS = ("utf-8", "utf-8-sig", "windows-1252")
BOM = codecs.BOM_UTF8
SAMPLE_BYTES = 256 * 1024
_DECIMAL_COMMA = re.compile(r"^\s*[+-]?\d+,\d+\s*$")
_DECLARED = {
    "delimiter": "delimiter",
    "quoteChar": "quote_char",
    "header": "header",
    "encoding": "encoding",
    "decimalChar": "decimal_char",
}


@dataclass(frozen=True)
class Dialect:
    delimiter: str = ","
    quote_char: str = '"'
    header: bool = True
    encoding: str = "utf-8"
    decimal_char: str = "."

    def described(self) -> dict[str, Any]:
        """The dialect as a Frictionless CSV dialect (plus the encoding and decimal mark)."""
        return {key: getattr(self, attribute) for key, attribute in _DECLARED.items()}


def declared(descriptor: dict[str, Any] | None) -> dict[str, Any]:
    """The attributes a declared Frictionless dialect sets (``quoteChar``...)."""
    return {
        attribute: (descriptor or {})[key]
        for key, attribute in _DECLARED.items()
        if (descriptor or {}).get(key) is not None
    }


def sniff(sample: bytes, *, names: list[str], numbers: set[str], given: dict[str, Any]) -> Dialect:
    """The dialect of a file from its first bytes; ``given`` (declared) attributes are kept."""
    encoding = given.get("encoding") or encoding_of(sample)
    lines = decode(sample, encoding).splitlines()[:200]
    if len(sample) >= SAMPLE_BYTES and len(lines) > 1:
        lines = lines[:-1]  # the last line of a sample may be cut
    delimiter = given.get("delimiter") or _delimiter(lines, names)
    quote = given.get("quote_char") or _quote(lines, delimiter)
    rows = list(csv.reader(io.StringIO("\n".join(lines)), delimiter=delimiter, quotechar=quote))
    header = given["header"] if "header" in given else _has_header(rows, names)
    decimal = given.get("decimal_char") or _decimal(rows, names, numbers, header=header)
    return Dialect(delimiter, quote, bool(header), encoding, decimal)


def encoding_of(sample: bytes) -> str:
    if sample.startswith(BOM):
        return "utf-8-sig"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
    except UnicodeDecodeError:
        return "windows-1252"
    return "utf-8"


def decode(data: bytes, encoding: str) -> str:
    """Text of ``data``; Windows-1252's five unassigned bytes read as Latin-1 does."""
    if encoding == "windows-1252":
        return data.decode("cp1252", errors="latin1fallback")
    return codecs.getincrementaldecoder(encoding)(errors="replace").decode(data, final=False)


def _latin1_fallback(error: UnicodeError) -> tuple[str, int]:
    assert isinstance(error, UnicodeDecodeError)
    bad = error.object[error.start : error.end]
    return bad.decode("latin-1"), error.end


codecs.register_error("latin1fallback", _latin1_fallback)


def matching_delimiter(header: str, names: list[str], *, tried: str) -> str | None:
    """The delimiter that splits ``header`` into exactly the expected names, if one does."""
    for delimiter in DELIMITERS:
        if delimiter != tried and _labels(header, delimiter) == sorted(names):
            return delimiter
    return None


def _labels(line: str, delimiter: str) -> list[str]:
    return sorted(label.strip().strip('"') for label in line.split(delimiter))


def _delimiter(lines: list[str], names: list[str]) -> str:
    if not lines:
        return ","
    found = matching_delimiter(lines[0], names, tried="")
    if found is not None:
        return found
    scores = {}
    for delimiter in DELIMITERS:
        counts = {line.count(delimiter) for line in lines if line}
        if len(counts) == 1 and counts != {0}:
            scores[delimiter] = counts.pop()
    return max(scores, key=lambda d: scores[d]) if scores else ","


def _quote(lines: list[str], delimiter: str) -> str:
    """The quote that opens or closes more fields: ``'`` only when it beats ``"``."""

    def fields_quoted(quote: str) -> int:
        edge = re.compile(f"(^|{re.escape(delimiter)}){quote}|{quote}({re.escape(delimiter)}|$)")
        return sum(len(edge.findall(line)) for line in lines)

    return "'" if fields_quoted("'") > fields_quoted('"') else '"'


def _has_header(rows: list[list[str]], names: list[str]) -> bool:
    """A first row naming some field is a header; a first row of values that name none, while
    the file has as many columns as fields, is data."""
    if not rows:
        return True
    first = [label.strip() for label in rows[0]]
    return bool(set(first) & set(names)) or len(first) != len(names)


def _decimal(rows: list[list[str]], names: list[str], numbers: set[str], *, header: bool) -> str:
    labels = [label.strip() for label in rows[0]] if header and rows else names
    positions = [i for i, label in enumerate(labels) if label in numbers]
    values = [row[i] for row in rows[1 if header else 0 :] for i in positions if i < len(row)]
    present = [v for v in values if v.strip()]
    commas = sum(1 for v in present if _DECIMAL_COMMA.match(v))
    return "," if present and commas and commas * 2 >= len(present) else "."
