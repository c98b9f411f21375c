"""Keys derived from French names, computed once per distinct value.

- ``norm``: upper case, accents and punctuation removed, leading particles (de, du, d', van…)
  dropped, spaces removed: ``Jean-Pierre``, ``JEAN PIERRE`` and ``jeanpierre`` agree;
- ``first``: the first part of a compound (``Jean`` of ``Jean-Pierre``, ``Marie`` of
  ``MARIE CLAIRE LOUISE``);
- ``phonetic``: a French phonetic code (``Lefèvre``/``Lefebvre``, ``Dupont``/``Dupond``,
  ``Gautier``/``Gauthier`` agree).
"""

from collections.abc import Callable

import pyarrow as pa
import pyarrow.compute as pc

from linkage.matching.french_names import PARTICLES

DERIVED = ("norm", "first", "phonetic")
_PARTICLES = rf"^(({'|'.join(PARTICLES)}) )+"
_VOWEL = "AEIOUY"
# Applied in order to the ``norm`` form (capitals only). RE2 has no back-references, so
# doubled letters are collapsed one letter at a time at the end.
_PHONETIC = [
    ("PH", "F"),
    ("SCH", "S"),
    ("[CS]H", "S"),
    ("H", ""),
    ("GU([EIY])", r"#\1"),
    ("G([EIY])", r"J\1"),
    ("#", "G"),
    ("QU", "K"),
    ("Q", "K"),
    ("C([EIY])", r"S\1"),
    ("CK", "K"),
    ("C", "K"),
    ("EBV", "EV"),
    ("EAU", "O"),
    ("AU", "O"),
    ("OU", "U"),
    ("(AIN|EIN|IN|IM|UN|YN)([^" + _VOWEL + "]|$)", r"1\2"),
    ("(AN|AM|EN|EM)([^" + _VOWEL + "]|$)", r"2\2"),
    ("(ON|OM)([^" + _VOWEL + "]|$)", r"3\2"),
    ("AI|EI", "E"),
    ("(ER|EZ|ET)$", "E"),
    ("Y", "I"),
    ("W", "V"),
    ("Z", "S"),
    ("([^" + _VOWEL + "])E$", r"\1"),
    ("[STDPX]+$", ""),
]


def _spaced(values: pa.Array) -> pa.Array:
    text = pc.utf8_normalize(values, form="NFKD")
    text = pc.replace_substring_regex(text, r"\p{Mn}", "")
    text = pc.utf8_upper(text)
    for old, new in (("Œ", "OE"), ("Æ", "AE"), ("ß", "SS")):
        text = pc.replace_substring(text, old, new)
    text = pc.replace_substring_regex(text, r"[^A-Z]+", " ")
    text = pc.utf8_trim_whitespace(text)
    stripped = pc.replace_substring_regex(text, _PARTICLES, "")
    kept = pc.and_(pc.not_equal(stripped, ""), pc.not_equal(stripped, text))
    return pc.if_else(kept, stripped, text)


def _blank_to_null(values: pa.Array) -> pa.Array:
    return pc.if_else(pc.equal(values, ""), pa.scalar(None, pa.string()), values)


def norm(values: pa.Array) -> pa.Array:
    return _blank_to_null(pc.replace_substring(_spaced(values), " ", ""))


def first(values: pa.Array) -> pa.Array:
    parts = pc.split_pattern(_spaced(values), " ", max_splits=1)
    return _blank_to_null(pc.list_element(parts, 0))


def phonetic(values: pa.Array) -> pa.Array:
    text = norm(values)
    for pattern, replacement in _PHONETIC:
        text = pc.replace_substring_regex(text, pattern, replacement)
    for letter in "ABCDEFGIJKLMNOPRSTUV123":
        text = pc.replace_substring_regex(text, f"{letter}{letter}+", letter)
    return _blank_to_null(text)


_KEYS: dict[str, Callable[[pa.Array], pa.Array]] = {
    "norm": norm,
    "first": first,
    "phonetic": phonetic,
}


def derive(values: pa.ChunkedArray | pa.Array, key: str) -> pa.Array:
    """The ``key`` of each value, computed on the distinct values only."""
    column = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
    encoded = pc.dictionary_encode(pc.cast(column, pa.string()))
    keys = _KEYS[key](encoded.dictionary)
    return keys.take(encoded.indices)
